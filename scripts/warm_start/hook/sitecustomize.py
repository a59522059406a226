"""Put first on PYTHONPATH by the Snakefile while a warm-start server runs (see warm_start/__init__.py): hands a rule
script to the server, or, if that does not apply, lets the process go on as if this file were not here."""

import os

if os.environ.get("STUDY_WARM_SOCKET") and not os.environ.get("STUDY_WARM_SERVER"):
    from warm_start.client import hand_over_or_return

    hand_over_or_return()  # returns only if the job runs here, in this fresh interpreter

if not os.environ.get("STUDY_WARM_SERVER"):
    # The server runs the next sitecustomize in each fork instead, so that it starts with the job.
    from warm_start.chain import run_next_sitecustomize

    run_next_sitecustomize(__file__)
