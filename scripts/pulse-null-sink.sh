# Sourced by `make test` and `make bench` (not executed), so the PULSE_* variables reach pytest.
# Gives the tests a private PulseAudio daemon with one null sink: the coach plays into the sink,
# tests play "the user" into the same sink, and the default source is the sink's monitor, so the
# microphone hears the room exactly as a real one would, coach included. A private runtime path
# keeps a desktop user's own sound server (and speakers) out of the test run.
# No `set -e` here: this file runs inside the caller's shell.

export PULSE_RUNTIME_PATH="${TMPDIR:-/tmp}/voice-coach-pulse-$(id -u)"
export PULSE_SERVER="unix:$PULSE_RUNTIME_PATH/native"
export PULSE_SINK=voice_coach_sink
export PULSE_SOURCE=voice_coach_sink.monitor

voice_coach_pulse_up() {
  pactl list short sinks 2>/dev/null | grep -q voice_coach_sink
}

if ! voice_coach_pulse_up; then
  mkdir -p "$PULSE_RUNTIME_PATH"
  chmod 700 "$PULSE_RUNTIME_PATH"
  # -n: no default.pa, so no hardware probing; root needs no --system for a private daemon.
  pulseaudio --daemonize=yes -n --exit-idle-time=-1 --disallow-exit=yes \
    --use-pid-file=yes --log-target=file:"$PULSE_RUNTIME_PATH/log" \
    --load="module-native-protocol-unix auth-anonymous=1 socket=$PULSE_RUNTIME_PATH/native" \
    --load="module-null-sink sink_name=voice_coach_sink rate=48000 channels=1 sink_properties=device.description=voice-coach-test-sink" \
    2>>"$PULSE_RUNTIME_PATH/log"
  for _ in $(seq 50); do voice_coach_pulse_up && break; sleep 0.1; done
fi

if voice_coach_pulse_up; then
  pactl set-default-sink voice_coach_sink
  pactl set-default-source voice_coach_sink.monitor
else
  echo "voice-coach: could not start a PulseAudio daemon with a null sink; see $PULSE_RUNTIME_PATH/log" >&2
  false
fi
