"""Issue 23 defects 10 and 11 through the CLI: names from files printed escaped (no terminal
control codes, no fake lines), Ctrl-C during start-up imports exits 130 quietly, and a data
folder blocked by a file gets a plain sentence."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest
import torch

from studio.cli import main
from studio.cli.common import shown
from studio.core.checkpoint import save_checkpoint
from studio.core.net import NetConfig, SequenceNet
from studio.core.vocab import Vocab

EVIL = "\x1b]0;pwned\x07\x1b[31mred\x9b2J\nfake-model  names  gru   1x16\u202eevil"


def _model(path, name):
    torch.manual_seed(0)
    vocab = Vocab.from_text("abcdefghijklmnopqrstuvwxyz")
    net = SequenceNet(NetConfig(cell="gru", vocab_size=len(vocab), layers=1, hidden=16, embedding=8))
    save_checkpoint(path, net, vocab, {"domain": "names", "name": name, "encoding": "char-v1"})
    return path


def _no_control_codes(text):
    for code in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert code not in text, repr(text)


def test_shown_escapes_control_and_format_characters_and_keeps_letters():
    assert shown("caf\u00e9 B\u266d7 \U0001F3B7 C:\\models\\a") == "caf\u00e9 B\u266d7 \U0001F3B7 C:\\models\\a"
    assert shown("a\x1b[31mb\nc\x9bd\u202ee\u200bf\x00") == "a\\x1b[31mb\\nc\\x9bd\\u202ee\\u200bf\\x00"


def test_models_lists_an_escape_laden_name_escaped_on_its_own_line(capsys):
    from studio.paths import user_models_dir

    _model(user_models_dir() / "evil.safetensors", EVIL)
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    _no_control_codes(out)
    lines = [line for line in out.splitlines() if "evil" in line or "fake-model" in line]
    assert len(lines) == 1 and lines[0].startswith("\\x1b]0;pwned\\x07\\x1b[31mred\\x9b2J\\nfake-model")
    assert main(["models", "--json"]) == 0                  # JSON escapes on its own
    _no_control_codes(capsys.readouterr().out)


def test_an_error_naming_the_model_is_printed_escaped(tmp_path, capsys):
    path = _model(tmp_path / "m.safetensors", EVIL)
    assert main(["jazz-report", str(path), "--human", str(tmp_path)]) == 2            # a names model: refused, by name
    err = capsys.readouterr().err
    _no_control_codes(err)
    assert err.count("\n") == 1 and "\\x1b]0;pwned" in err and "needs a jazz model" in err


@pytest.mark.parametrize("blocked", ["home", "parent", "models"])
def test_a_data_folder_blocked_by_a_file_is_said_plainly(tmp_path, monkeypatch, capsys, blocked):
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    if blocked == "models":
        home = tmp_path / "home"
        (home / "models").parent.mkdir()
        (home / "models").write_text("not a folder")
        afile = home / "models"
    else:
        home = afile if blocked == "home" else afile / "sub"
    monkeypatch.setenv("SEQUENCE_STUDIO_HOME", str(home))
    assert main(["models"]) == 2
    err = capsys.readouterr().err
    assert "Errno" not in err and "Traceback" not in err, err
    assert f"{afile} is a file, not a folder" in err and "SEQUENCE_STUDIO_HOME" in err


# Ctrl-C arriving while the CLI imports its verbs or torch (seconds on a cold start). The
# signal is sent from an import hook at the moment the module is imported, so the test
# does not depend on timing; the command is the real entry point, `python -m studio`.
HOOK = textwrap.dedent("""
    import builtins, os, runpy, signal, sys
    # As in a terminal: a runner started in the background (CI, nohup) passes SIGINT on
    # ignored, and Python then installs no KeyboardInterrupt handler of its own.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    target, real = sys.argv[1], builtins.__import__
    def hook(name, *args, **kwargs):
        if name == target:
            os.kill(os.getpid(), signal.SIGINT)
        return real(name, *args, **kwargs)
    builtins.__import__ = hook
    sys.argv = ["sequence-studio", "models"]
    runpy.run_module("studio", run_name="__main__")
""")


@pytest.mark.timeout(120)
@pytest.mark.parametrize("module", ["studio.cli", "studio.cli.main", "studio.domains", "torch"])
def test_ctrl_c_during_start_up_imports_exits_130_quietly(module):
    run = subprocess.run([sys.executable, "-c", HOOK, module], capture_output=True, text=True,
                         timeout=100, env=dict(os.environ))
    assert "Traceback" not in run.stderr and "KeyboardInterrupt" not in run.stderr, run.stderr
    assert run.returncode == 130, (run.returncode, run.stderr)
    assert run.stdout == ""                                  # stopped before listing anything
