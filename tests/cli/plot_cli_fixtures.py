"""The small ground truth and predictions of the plot and analyze CLI tests."""

PNG = b"\x89PNG\r\n\x1a\n"  # the first bytes of every PNG file

GT = {"database": {
    "vid_a": {"subset": "test", "duration": 50.0, "annotations": [
        {"segment": [0, 10], "label": "Jump", "label_id": 0}, {"segment": [20, 30], "label": "Run", "label_id": 1}]},
    "vid_b": {"subset": "test", "duration": 40.0, "annotations": [{"segment": [5, 15], "label": "Run", "label_id": 1}]},
}}
PREDS = {"results": {
    "vid_a": [{"label": "Jump", "score": 0.9, "segment": [0, 10]}, {"label": "Run", "score": 0.6, "segment": [18, 31]},
              {"label": "Jump", "score": 0.2, "segment": [22, 30]}],
    "vid_b": [{"label": "Run", "score": 0.7, "segment": [5, 14]}],
}}
