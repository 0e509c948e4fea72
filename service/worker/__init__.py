"""`auditgraph worker`: Celery processes that audit the runs the doors queue.

`runs.RunWorker` is what a worker does with one announced run id (claim it in the
database, renew the lease while driving the graph, finish or give up); `app` is the
Celery side (the task, the process start-up, the periodic sweep).
"""
