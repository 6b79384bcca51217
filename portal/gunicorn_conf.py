"""gunicorn settings of ``portal serve``: what every worker holds read-only is loaded once, in the master.

Each worker needs jieba's dictionary (~65 MB) and the embedding model (~120 MB with ``use``). Loaded in the
master before it forks, their memory pages are shared by all workers (copy-on-write), and ``gc.freeze``
keeps each worker's garbage collector from writing to those objects, which would copy the pages.
Nothing with a file handle, a connection or a thread is made here: the app itself (database, search index,
background threads) is still created by each worker (``portal.wsgi``).
"""

from __future__ import annotations

import gc

from portal.config import semantic_setting

#: Models that may be loaded before a fork. ``use`` is plain NumPy (OpenBLAS re-creates its threads in a
#: child). ``e5`` runs on GNU OpenMP, whose thread pool does not survive a fork (a worker could hang in its
#: first embedding), so each worker loads it itself.
FORK_SAFE_MODELS = ("use",)

#: The access log leaves out query strings and the referrer (which carries them too): a search URL holds what
#: an agent pasted, often a customer's phone or ID number (see articles/search/privacy.py).
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s "%(a)s"'


def preload_shared() -> str:
    """Load what every worker holds read-only (see the module docstring); returns what was loaded."""
    from search_index import preload_shared_models

    preload_shared_models()
    # The setting the workers' app will read, so the model they ask for is the one already loaded.
    setting = semantic_setting().strip().lower()
    if setting in FORK_SAFE_MODELS:
        # The same cache the workers' VectorStore asks (keyed by the setting): they find the model loaded.
        # A model that cannot load is reported by each worker as before (admin page, lexical search).
        preload_shared_models(setting)
        return f"jieba's dictionary, semantic model {setting!r}"
    return "jieba's dictionary"


def on_starting(server) -> None:  # gunicorn hook: in the master, before any worker exists
    shared = preload_shared()
    gc.collect()
    gc.freeze()
    server.log.info("loaded before forking the workers: %s", shared)
