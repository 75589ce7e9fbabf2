#!/usr/bin/env python3
"""Runs a command and prints its wall time, CPU time (user + system, children included, and the two apart) and
peak RSS, as `wall_s=... cpu_s=... peak_rss_kb=...` after the command's own last line."""
import resource
import subprocess
import sys
import time

started = time.monotonic()
done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, text=True)
wall = time.monotonic() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
last = (done.stdout.strip().splitlines() or [""])[-1]
print(f"{last} wall_s={wall:.2f} cpu_s={usage.ru_utime + usage.ru_stime:.2f} "
      f"(user {usage.ru_utime:.2f} sys {usage.ru_stime:.2f}) peak_rss_kb={usage.ru_maxrss}")
sys.exit(done.returncode)
