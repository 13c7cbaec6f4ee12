"""The test servers' common start: a threading HTTP server on 127.0.0.1, a free port
written to a file atomically (the shell tests wait for it), then served forever."""
import http.server
import os


def serve(handler, state, log, port_file, queue=64):
    class Server(http.server.ThreadingHTTPServer):
        request_queue_size = queue   # many parallel connects, no SYN drops

        def handle_error(self, request, client_address):
            pass                     # clients that time out or are killed leave mid-body

    srv = Server(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    srv.state = state
    open(log, "a").close()
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, port_file)
    srv.serve_forever()
