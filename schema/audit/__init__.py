"""The auditors' queries: the event log, a request's history and its state as of then."""
