"""``portal serve``: the gunicorn workers share what the master loaded before forking them."""

import os
import subprocess
from pathlib import Path

from tests.serving import PORTAL, call, serve, wait, worker_pids


def _memory_kib(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("Rss", "Pss"):
            out[name] = int(value.split()[0])
    return out


def test_workers_share_the_dictionary_and_the_model_loaded_by_the_master(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(PORTAL_INSTANCE_DIR=str(tmp_path / "instance"), PORTAL_SEMANTIC="use")
    subprocess.run([PORTAL, "init"], env=env, check=True, capture_output=True, timeout=300)
    log = tmp_path / "serve.log"
    with serve(env, log, workers=2) as (port, master):
        assert (
            "loaded before forking the workers: jieba's dictionary, semantic model 'use'" in log.read_text()
        )
        wait(lambda: len(worker_pids(master.pid)) == 2, "two workers")
        assert call(port, "GET", "/healthz")[0] == 200
        # A search URL carries what the agent pasted, often the customer's phone or ID number: the access
        # log keeps the path, never the query string.
        status, _body = call(
            port, "GET", "/api/v1/search?q=%E5%AE%A2%E6%88%B7%2013812345678%20110105199003070024"
        )
        assert status == 401  # no token; the request is logged all the same
        wait(lambda: "GET /api/v1/search" in log.read_text(), "the access log line of the search")
        assert "13812345678" not in log.read_text() and "110105199003070024" not in log.read_text()
        for pid in worker_pids(master.pid):
            kib = _memory_kib(pid)
            # ~120 MB of model and ~65 MB of dictionary are shared by the master and both workers, so each
            # worker's proportional share (Pss) is far below its resident size; without the preload only
            # library code is shared (~15 MB).
            assert kib["Rss"] - kib["Pss"] > 100 * 1024, kib


class _Log:
    def __init__(self):
        self.lines = []

    def info(self, msg, *args):
        self.lines.append(msg % args)


class _Server:
    def __init__(self):
        self.log = _Log()


def test_the_master_never_loads_a_model_that_does_not_survive_fork(monkeypatch):
    import gc

    from portal import gunicorn_conf
    from search_index.semantic import model as semantic

    loaded = []
    monkeypatch.setattr(semantic, "load_model", lambda setting: loaded.append(setting) or (None, ""))
    monkeypatch.setattr(gc, "freeze", lambda: None)  # this test process must stay collectable
    for setting, expected in (("e5", []), ("off", []), (" USE ", ["use"])):
        loaded.clear()
        monkeypatch.setenv("PORTAL_SEMANTIC", setting)
        server = _Server()
        gunicorn_conf.on_starting(server)
        assert loaded == expected
        assert server.log.lines[-1].startswith("loaded before forking the workers: jieba's dictionary")
        assert ("semantic model 'use'" in server.log.lines[-1]) == bool(expected)
