#!/usr/bin/env python3
"""The baseline for `scripts/bench load`: the same 1,000 lip-sync tasks as
scripts/bench-lua/tasks.lua, written the way a Python user would, with requests and a
64-thread pool, polling each task once a second. Prints wall time, this process's CPU time
and peak RSS, and the creates per second the server sustained during the create phase.

Usage: load.py BASE_URL API_KEY MEDIA_DIR [N]
"""
import base64
import resource
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

base, key, media = sys.argv[1], sys.argv[2], sys.argv[3]
n = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
api = base + "/v1/videos"
local = threading.local()


def session():
    if not hasattr(local, "s"):
        local.s = requests.Session()
        local.s.headers["Authorization"] = "Bearer " + key
    return local.s


def call(method, url, **kwargs):
    while True:
        answer = session().request(method, url, timeout=600, **kwargs).json()
        if answer["code"] in (1302, 1303, 5000, 5001, 5002):  # busy: try again shortly
            time.sleep(1)
            continue
        if answer["code"] != 0:
            raise RuntimeError(f"{method} {url}: {answer['code']} {answer['message']}")
        return answer["data"]


started = time.monotonic()
identified = call("POST", api + "/identify-face", json={"video_url": f"file://{media}/one-face.mp4"})
face = identified["face_data"][0]["face_id"]
with open(f"{media}/speech.wav", "rb") as f:
    sound = base64.b64encode(f.read()).decode()


def create(i):
    body = {"session_id": identified["session_id"], "face_choose": [{
        "face_id": face, "sound_file": sound,
        "sound_start_time": 0, "sound_end_time": 2500, "sound_insert_time": i}]}
    return call("POST", api + "/advanced-lip-sync", json=body)["task_id"]


def finish(task_id):
    while True:
        task = call("GET", f"{api}/advanced-lip-sync/{task_id}")
        if task["task_status"] in ("succeed", "failed"):
            return task["task_status"]
        time.sleep(1)


with ThreadPoolExecutor(max_workers=64) as pool:
    creating = time.monotonic()
    ids = list(pool.map(create, range(n)))
    create_s = time.monotonic() - creating
    statuses = list(pool.map(finish, ids))

wall = time.monotonic() - started
usage = resource.getrusage(resource.RUSAGE_SELF)
print(f"python: tasks={n} succeeded={statuses.count('succeed')} wall_s={wall:.2f} "
      f"cpu_s={usage.ru_utime + usage.ru_stime:.2f} peak_rss_kb={usage.ru_maxrss} "
      f"creates_per_s={n / create_s:.1f}")
