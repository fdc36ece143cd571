"""Entry point of the ``actionformer`` command: dispatches to one module per subcommand.

Only the chosen subcommand's module is imported, so ``actionformer -h`` and light commands
start fast and a heavy import (torch) happens only where it is needed.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import List, Optional, Sequence

# subcommand -> (module, one-line help)
COMMANDS = {
    "demo": ("actionformer.cli.demo", "make a synthetic dataset, train on the CPU, evaluate and print the mAP table"),
    "train": ("actionformer.cli.train", "train a model from a config (launch with torchrun for several GPUs/nodes)"),
    "eval": ("actionformer.cli.eval_checkpoint", "evaluate a checkpoint or experiment folder on a config's validation split"),
    "evaluate": ("actionformer.cli.evaluate", "score a prediction file against a ground-truth annotation file"),
    "make-synthetic": ("actionformer.cli.make_synthetic", "write a synthetic THUMOS-format dataset and a ready-to-train config"),
    "check-data": ("actionformer.cli.check_data", "check every feature file and annotation a config points at"),
    "suggest-config": ("actionformer.cli.suggest_config",
                       "suggest levels, regression ranges, max_seq_len and window from the training data"),
    "plot": ("actionformer.cli.plot", "draw a video's detections on a timeline, or precision-recall curves"),
    "analyze": ("actionformer.cli.analyze", "error analysis of a prediction file: false-positive types (DETAD), "
                                            "mAP by action length and coverage"),
    "infer": ("actionformer.cli.infer", "run a trained model on feature files of new videos (no annotations needed)"),
    "export": ("actionformer.cli.export", "export the dense network to ONNX or TorchScript (dynamic time axis)"),
}


def _top_level_parser() -> argparse.ArgumentParser:
    lines = [f"  {name:<16}{help_text}" for name, (_, help_text) in COMMANDS.items()]
    return argparse.ArgumentParser(
        prog="actionformer",
        description="Temporal action localization with ActionFormer.",
        epilog="commands:\n" + "\n".join(lines) + "\n\nRun 'actionformer COMMAND -h' for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="actionformer COMMAND [options]",
    )


def build_command_parser(command: str) -> argparse.ArgumentParser:
    """The parser of one subcommand, with the options its module declares."""
    module_name, help_text = COMMANDS[command]
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(
        prog=f"actionformer {command}",
        description=(module.__doc__ or help_text).strip(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    module.add_arguments(parser)
    parser.set_defaults(_run=module.run)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    top = _top_level_parser()
    top.add_argument("--version", action="store_true", help="print the version and exit")
    if not argv or argv[0] in ("-h", "--help"):
        top.print_help()
        return 0 if argv else 2
    if argv[0] == "--version":
        from actionformer import __version__

        print(f"actionformer {__version__}")
        return 0
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        import difflib

        close = difflib.get_close_matches(command, list(COMMANDS), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        top.error(f"unknown command '{command}'.{hint}")
    args = build_command_parser(command).parse_args(rest)
    return int(args._run(args) or 0)


def _alias(command: str) -> List[str]:
    return [command] + sys.argv[1:]


def train_alias() -> int:
    """``actionformer-train`` / ``actionformer-train-ddp``: the seed's names for ``actionformer train``."""
    return main(_alias("train"))


def eval_alias() -> int:
    """``actionformer-eval``: the seed's name for ``actionformer eval``."""
    return main(_alias("eval"))


if __name__ == "__main__":
    sys.exit(main())
