"""The installed `voice-coach` command in text mode, run as a user would run it."""

import json
import os
import subprocess
import sys
import time

COMMAND = [os.path.join(os.path.dirname(sys.executable), "voice-coach")]


def run(args, stdin=b"", timeout=30):
    return subprocess.run(COMMAND + args, input=stdin, capture_output=True, timeout=timeout)


def test_parse_json_one_object_per_line():
    result = run(["parse", "--json", "a bit harder please", "what a lovely day"])
    assert result.returncode == 0
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert rows[0] == {
        "text": "a bit harder please",
        "intent": "harder",
        "confidence": rows[0]["confidence"],
    }
    assert rows[0]["confidence"] > 0.8
    assert rows[1]["intent"] is None and 0 <= rows[1]["confidence"] <= 1


def test_parse_reads_standard_input_including_garbage():
    result = run(["parse", "--json"], stdin=b"ouch\n\xff\xfe\x00\x01garbage\n\nstop\n")
    assert result.returncode == 0
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [r["intent"] for r in rows] == ["pain", None, None, "stop"]


def test_virtual_session_from_standard_input_runs_to_the_end():
    began = time.monotonic()
    result = run(
        ["session", "--text", "--clock", "virtual", "--seed", "4"], stdin=b"start\n@30 harder\n"
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert all(line.startswith("[") for line in lines)
    assert all("] coach: " in line or "] you: " in line for line in lines)
    assert "[00:30.0] you: harder -> harder" in lines
    assert "spots" in lines[-1] and "7 of 7" in lines[-1]
    assert time.monotonic() - began < 10


def test_bad_input_never_crashes_a_session():
    garbage = (
        b"\x00\x01\x02\xff\xfe\n"
        + b"x" * 100_000
        + b"\n\n   \n@abc harder\n@-5 pause\n@1e309 hello\n"
        + bytes(range(256))
        + b"\nstart\n"
    )
    result = run(["session", "--text", "--clock", "virtual", "--seed", "1"], stdin=garbage)
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert "Traceback" not in result.stderr.decode()
    assert "didn't" in out  # a reprompt, not a crash
    assert "7 of 7" in out.splitlines()[-1]


def test_user_routine_file_and_bad_routine_file(tmp_path):
    good = tmp_path / "short.toml"
    good.write_text(
        'name = "short"\nbased_on = "upper-back"\nspots = ["mid-back"]\nstretch_every = 0\n'
    )
    result = run(
        ["session", "--text", "--clock", "virtual", "--routine", str(good)], stdin=b"start\n"
    )
    assert result.returncode == 0 and "1 of 1" in result.stdout.decode().splitlines()[-1]
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    result = run(["session", "--text", "--routine", str(bad)])
    assert result.returncode == 1
    assert "bad.toml: not valid TOML" in result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()


def test_real_clock_text_session_delivers_stamped_lines_on_time():
    result = run(
        ["session", "--text", "--clock", "real", "--seed", "2"], stdin=b"start\n@1.5 stop\n"
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    stop = next(line for line in lines if "you: stop" in line)
    assert stop.startswith("[00:01.5]")
    assert "0 of 7" in lines[-1]
