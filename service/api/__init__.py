"""HTTP and CLI edges: the only modules that know about requests, statuses and media types."""
