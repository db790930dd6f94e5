"""
UNIX crypt(3) for CryptPasswordHasher, without the crypt module.

Python 3.11 deprecated the crypt module and Python 3.13 removed it. It was a
thin wrapper around the C library's crypt(3); this calls the same function
through ctypes, so the hashes are the ones the crypt module produced.
"""

import ctypes
import ctypes.util
import threading


def _load_crypt():
    names = [ctypes.util.find_library("crypt"), "libcrypt.so.1"]
    for name in filter(None, names):
        try:
            function = ctypes.CDLL(name).crypt
        except (OSError, AttributeError):
            continue
        function.argtypes = (ctypes.c_char_p, ctypes.c_char_p)
        function.restype = ctypes.c_char_p
        return function
    raise ImportError("No crypt(3) library (libcrypt) was found.")


_crypt = _load_crypt()
# crypt(3) returns a pointer to a static buffer that the next call overwrites.
_lock = threading.Lock()


def crypt(word, salt):
    """
    Hash word with salt as crypt.crypt() did: return the hash as a str, or
    None when the C library gives no result.
    """
    with _lock:
        result = _crypt(word.encode(), salt.encode())
    return None if result is None else result.decode()
