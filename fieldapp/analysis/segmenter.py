"""Chinese word segmentation with part-of-speech tags, offline: jieba and the dictionary it ships.

Loaded on first use (building jieba's prefix dictionary takes a few seconds once; its cache file
holds only the public dictionary and is kept in fieldapp's own cache folder, never beside user
data). Registered names are added as words so that the segmenter keeps them whole.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

_lock = threading.Lock()
_tokenizer: Any = None
_added: set[str] = set()


def _get() -> Any:
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            import jieba
            import jieba.posseg

            from fieldapp.paths import cache_dir

            jieba.setLogLevel(logging.WARNING)
            folder = cache_dir()
            folder.mkdir(parents=True, exist_ok=True)
            jieba.dt.tmp_dir = str(folder)
            jieba.dt.initialize()
            _tokenizer = jieba
        return _tokenizer


def add_words(words: Iterable[str], tag: str = "nr") -> None:
    jieba = _get()
    for word in words:
        if word and word not in _added:
            jieba.add_word(word, freq=None, tag=tag)
            _added.add(word)


def cut(text: str) -> list[str]:
    return list(_get().cut(text, HMM=True))


def tagged(text: str) -> list[tuple[str, str]]:
    import jieba.posseg

    _get()
    return [(pair.word, pair.flag) for pair in jieba.posseg.cut(text, HMM=True)]
