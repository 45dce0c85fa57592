"""The installed `voice-coach` command when the world around it misbehaves: one sentence, no
traceback, and the exit code a shell script can rely on."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from voice_coach.cli import BROKEN_PIPE_EXIT

COMMAND = os.path.join(os.path.dirname(sys.executable), "voice-coach")


def shell(script: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run ``script`` in bash with $VC set to the command; pipefail shows each stage's status."""
    return subprocess.run(
        ["bash", "-c", f"set -o pipefail; {script}"],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "VC": COMMAND},
    )


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([COMMAND, *args], input=stdin, capture_output=True, text=True, timeout=60)


def no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert "Exception ignored" not in result.stderr, result.stderr


@pytest.mark.parametrize(
    "command",
    [
        # Only the command's own stderr is checked: where SIGPIPE is blocked (some CI runners),
        # yes and head complain of the broken pipe themselves.
        "yes harder 2>/dev/null | head -5000 2>/dev/null | $VC parse",
        "echo start | $VC session --text --clock virtual --seed 1",
        "$VC routines",
        "$VC session --help",
    ],
)
def test_a_reader_that_stops_early_ends_the_command_quietly(command):
    # `head -c 1` closes the pipe after one byte, long before the command has written it all.
    result = shell(f"{command} | head -c 1 > /dev/null; echo ${{PIPESTATUS[-2]}}")
    no_traceback(result)
    assert result.stderr == ""
    assert int(result.stdout.split()[-1]) in (0, BROKEN_PIPE_EXIT)


def test_a_broken_pipe_exits_141_like_tools_killed_by_sigpipe():
    result = shell(
        "yes stop 2>/dev/null | head -20000 2>/dev/null | $VC parse | head -1 > /dev/null 2>&1;"
        " echo ${PIPESTATUS[2]}"
    )
    no_traceback(result)
    assert result.stdout.split()[-1] == str(BROKEN_PIPE_EXIT)
    assert result.stderr == ""


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize(
    "args", [["parse", "harder"], ["routines"], ["session", "--text", "--clock", "virtual"]]
)
def test_a_full_disk_is_one_sentence(args):
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [COMMAND, *args], stdin=subprocess.DEVNULL, stdout=full, stderr=subprocess.PIPE,
            text=True, timeout=60,
        )  # fmt: skip
    no_traceback(result)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "voice-coach: cannot write the output (No space left on device); free some disk space."
    ]


@pytest.mark.parametrize(
    ("args", "what"),
    [("parse", "parse without TEXT"), ("session --text --clock virtual", "a text session")],
)
def test_closed_standard_input_is_one_sentence(args, what):
    result = shell(f"$VC {args} <&-")
    no_traceback(result)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"voice-coach: standard input is closed, and {what} reads it; pipe lines in."
    )


@pytest.mark.parametrize(
    "flag", [["--rate", "9000"], ["--rate", "fast"], ["--volume", "2"], ["--volume", "nan"]]
)
@pytest.mark.parametrize("mode", [["--text"], ["--text", "--clock", "virtual"], []])
def test_out_of_range_rate_and_volume_are_usage_errors_in_every_mode(flag, mode):
    result = run("session", *mode, *flag)
    no_traceback(result)
    assert result.returncode == 2 and result.stdout == ""
    assert f"argument {flag[0]}:" in result.stderr and "usage:" in result.stderr


def test_version():
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("voice-coach ") and result.stdout.split()[1][0].isdigit()


def test_no_command_is_a_usage_error_with_the_help():
    result = run()
    assert result.returncode == 2 and result.stdout == ""
    assert "usage: voice-coach" in result.stderr and "session" in result.stderr
    assert result.stderr.strip().endswith("voice-coach: error: choose a COMMAND")
    assert run("--help").returncode == 0


def test_routines_lists_each_built_in_routine_with_its_length_and_spots():
    result = run("routines")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "upper-back: Upper-back release, about 11 minutes, 7 spots" in out
    assert "quick: " in out and "4 spots" in out
    assert "  1. right upper trapezius (wall)" in out


def test_session_help_lists_the_spoken_commands_and_stamped_lines():
    from intents.catalog import default_catalog

    out = run("session", "--help").stdout
    for intent in default_catalog().intents:
        assert f'"{intent.phrases[0]}"' in out and intent.description in out
    assert "@<seconds>" in out and "@90 harder" in out
