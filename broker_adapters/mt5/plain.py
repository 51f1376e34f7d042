"""Turn MetaTrader5 results into plain values, on whichever side of the bridge they are made.

The same ``to_plain`` runs in-process (native) and inside the remote Windows Python (its source
is sent once over the RPyC classic connection), so both paths hand the adapter identical
dicts/lists/arrays. Numpy arrays travel as ``(dtype descr, raw bytes)`` rather than pickled
arrays: a numpy-2 pickle cannot be loaded by numpy 1 (INTEGRATIONS B.4), raw bytes can.
This module must stay self-contained (no imports at module level) because its source is
executed remotely.
"""


def to_plain(obj):  # noqa: ANN001, ANN201  (sent as source to the remote side)
    """Struct results → dicts (nested), sequences → lists, ndarrays → tagged bytes."""
    import numpy as np

    if obj is None or isinstance(obj, (bool, int, float, str, bytes)):  # noqa: UP038
        return obj
    if isinstance(obj, np.ndarray):
        return {"__ndarray__": True, "descr": obj.dtype.descr, "shape": list(obj.shape),
                "data": obj.tobytes()}
    if isinstance(obj, np.generic):
        return obj.item()
    if hasattr(obj, "_asdict"):
        return {k: to_plain(v) for k, v in obj._asdict().items()}
    if isinstance(obj, dict):
        return {k: to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (tuple, list)):  # noqa: UP038
        return [to_plain(v) for v in obj]
    return obj


def from_plain(obj):  # noqa: ANN001, ANN201
    """Rebuild the arrays ``to_plain`` encoded; everything else is already plain."""
    import numpy as np

    if isinstance(obj, dict):
        if obj.get("__ndarray__") is True:
            dtype = np.dtype([tuple(f) for f in obj["descr"]])
            arr = np.frombuffer(obj["data"], dtype=dtype).copy()
            return arr.reshape(tuple(obj["shape"]))
        return {k: from_plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [from_plain(v) for v in obj]
    return obj
