"""A sekmet sandbox server of one test module's own, which the module may kill and restart.

Started by `scripts/sandbox-fhir-server` (which execs the server, so the PID we hold is
the server's), on a fixed free port and data folder, so a restart serves the same data
at the same URL. Stopped by its PID only.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.contract.conftest import SCRIPT, _free_port, _wait_ready


class Sandbox:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/fhir"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        assert not self.running
        subprocess.run([str(SCRIPT), "install"], check=True)
        with (self.folder / "server.log").open("ab") as log:
            self._process = subprocess.Popen(
                [str(SCRIPT), "run", str(self.port), str(self.folder)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        _wait_ready(self.base_url, self._process)

    def kill(self) -> None:
        """SIGKILL by PID: the server dies as in a crash, with no chance to tidy up."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()
