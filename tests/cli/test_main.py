from actionformer.cli.main import COMMANDS


def test_help_lists_every_command(run_cli):
    code, out, _ = run_cli("-h")
    assert code == 0
    for name in COMMANDS:
        assert name in out


def test_unknown_command_suggests(run_cli):
    code, _, err = run_cli("trian")
    assert code == 2
    assert "did you mean 'train'" in err.lower()


def test_version(run_cli):
    code, out, _ = run_cli("--version")
    assert code == 0 and out.startswith("actionformer ")


def test_every_command_has_help(run_cli):
    for name in COMMANDS:
        code, out, _ = run_cli(name, "-h")
        assert code == 0, name
        assert f"actionformer {name}" in out
