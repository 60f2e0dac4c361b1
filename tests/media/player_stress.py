"""Child process for tests/ui/test_player_no_deadlock.py: drive audio players hard.

Creates players on a recording and, with pauses of a few milliseconds, plays, pauses, seeks
and closes them at random, the way a transcriber pressing F8/F7/F9 and closing the recording
would. Prints ``done`` when every player has been closed; a deadlock leaves it hanging.
"""

from __future__ import annotations

import faulthandler
import random
import sys

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QWidget


def main(rounds: int) -> None:
    app = QApplication([])
    from fieldapp.ui.views.media import AudioPlayer
    from tests.media import samples

    data = samples.wav(seconds=20)
    host = QWidget()
    rnd = random.Random(1)

    def wait(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    for _ in range(rounds):
        player = AudioPlayer(data, "interview.wav", host)
        wait(rnd.randint(0, 30))
        for _ in range(6):
            rnd.choice([player.toggle, player.pause,
                        lambda p=player: p.jump(5_000), lambda p=player: p.jump(-5_000)])()
            wait(rnd.randint(0, 15))
        player.stop()
        player.hide()
        player.deleteLater()
    wait(50)
    print("done", flush=True)
    del app


if __name__ == "__main__":
    faulthandler.enable()
    main(int(sys.argv[1]))
