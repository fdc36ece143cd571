"""Configuration advice from the data: regression ranges, pyramid depth, sequence length, window
(``actionformer suggest-config``). Works from annotations alone; reads feature lengths when the
features are there."""

from .ranges import RangeAdvice, compute_adaptive_ranges, level_shares, suggest_config_ranges, suggest_num_levels
from .stats import ActionStats, GridSpec, collect_stats

__all__ = [
    "ActionStats", "GridSpec", "RangeAdvice", "collect_stats", "compute_adaptive_ranges", "level_shares",
    "suggest_config_ranges", "suggest_num_levels",
]
