"""The live test server must accept 40 simultaneous connections (Django's default listen
backlog is 10, and refused connections would hide what the throttle does)."""

from django.core.servers import basehttp

basehttp.WSGIServer.request_queue_size = 128
