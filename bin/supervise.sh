# Sourced by bin/run-demo: keep a process running, restarting it (and saying so) when it exits.
# `supervise NAME COMMAND...` starts a keeper in the background and appends its pid to `pids`;
# TERM or INT to the keeper stops the command and the keeper alike.
supervise() {
  local name=$1
  shift
  (
    child=""
    trap '[ -n "$child" ] && kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; exit 0' TERM INT
    delay=2
    while true; do
      started=$SECONDS
      "$@" &
      child=$!
      status=0
      wait "$child" || status=$?
      # A process that keeps dying at once waits longer each time (up to a minute).
      if ((SECONDS - started > 60)); then delay=2; else delay=$((delay * 2 > 60 ? 60 : delay * 2)); fi
      echo "Quartile demo: $name exited (status $status); restarting it in ${delay} s." >&2
      sleep "$delay" &
      child=$!
      wait "$child" || true
    done
  ) &
  pids+=($!)
}
