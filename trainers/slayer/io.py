"""Event streams (address-event representation) and their file formats.

An :class:`Event` holds one sample's events as parallel arrays:

* ``x`` -- address along x (1D streams: the neuron index, e.g. the cochlea channel);
* ``y`` -- address along y (2D streams such as DVS cameras), ``None`` for 1D streams;
* ``c`` -- channel (polarity for DVS: 0 = OFF, 1 = ON);
* ``t`` -- time in **milliseconds** (may be fractional);
* ``p`` -- optional graded payload per event (``None`` for plain binary spikes).

Dense spike tensors (lava-dl SLAYER layout, time last, no batch axis):

* 1D streams -> ``(C, X, T)``;  2D streams -> ``(C, H, W, T)`` with ``H`` along ``y`` and
  ``W`` along ``x``.
* Time bin of an event: ``round(t / sampling_time)``.  Value at an event: ``1 / sampling_time``
  for binary events, ``payload / sampling_time`` for graded ones (a spike is a unit-area pulse
  of width ``sampling_time``); :func:`tensor_to_event` inverts this exactly.

Binary file formats (all big-endian, 5 bytes = 40 bits per event, time in microseconds):

* 1D (:func:`read_1d_spikes` / :func:`encode_1d_spikes`): bits 39..24 ``x`` (16 bits),
  bit 23 ``c`` (polarity, 1 bit), bits 22..0 ``t`` in us (23 bits, < 8.39 s).
* 2D, N-MNIST (:func:`read_2d_spikes` / :func:`encode_2d_spikes`): bits 39..32 ``x`` (8 bits),
  bits 31..24 ``y`` (8 bits), bit 23 ``c`` (polarity), bits 22..0 ``t`` in us (23 bits).
* numpy (:func:`read_np_spikes` / :func:`encode_np_spikes`): an ``.npy`` array ``(num_events,
  columns)`` whose column order is given by ``fmt`` (default ``'xypt'``; ``p`` is the
  channel/polarity column, ``v`` an optional payload column); 1D streams omit ``y``.  Times
  are stored in units of ``time_unit`` seconds (default 1e-3: milliseconds).
"""

from __future__ import annotations

import os
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch

ArrayLike = Union[np.ndarray, Sequence[float], torch.Tensor]
PathLike = Union[str, "os.PathLike[str]"]

__all__ = [
    "EventFormatError", "Event", "tensor_to_event",
    "read_1d_spikes", "encode_1d_spikes", "read_2d_spikes", "encode_2d_spikes",
    "read_np_spikes", "encode_np_spikes", "show", "anim",
]

_T_BITS = 23
_T_MAX_US = (1 << _T_BITS) - 1


class EventFormatError(ValueError):
    """An event file or event stream that cannot be read or encoded.

    The message says where: ``<file>: field '<name>': <what is wrong>``.

    Attributes:
        path: the file (or ``None`` for an in-memory stream).
        field: the event field (``'x'``, ``'y'``, ``'c'``, ``'t'``, ...) or ``None``.
        reason: the bare description.
    """

    def __init__(self, reason: str, *, path: Optional[PathLike] = None,
                 field: Optional[str] = None) -> None:
        self.path = None if path is None else os.fspath(path)
        self.field = field
        self.reason = reason
        where = [self.path if self.path is not None else "<in-memory events>"]
        if field is not None:
            where.append(f"field '{field}'")
        super().__init__(": ".join(where + [reason]))


def _as_array(values: Optional[ArrayLike], name: str) -> Optional[np.ndarray]:
    if values is None:
        return None
    if torch.is_tensor(values):
        values = values.detach().cpu().numpy()
    arr = np.asarray(values)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise EventFormatError(f"must be a 1D array of per-event values; got shape {arr.shape}",
                               field=name)
    return arr


class Event:
    """One sample's event stream (see the module docstring for fields and units).

    Args:
        x_event: x addresses, shape ``(E,)``.
        y_event: y addresses ``(E,)``, or ``None`` for a 1D stream.
        c_event: channel / polarity per event ``(E,)``.
        t_event: event times in ms ``(E,)``.
        payload: graded value per event ``(E,)``, or ``None`` for binary spikes.

    Attributes ``x, y, c, t, p`` hold the arrays; ``dim`` is 1 or 2; ``graded`` says whether
    there is a payload.
    """

    def __init__(self, x_event: ArrayLike, y_event: Optional[ArrayLike], c_event: ArrayLike,
                 t_event: ArrayLike, payload: Optional[ArrayLike] = None) -> None:
        self.x = _as_array(x_event, "x")
        self.y = _as_array(y_event, "y")
        self.c = _as_array(c_event, "c")
        self.t = _as_array(t_event, "t")
        self.p = _as_array(payload, "payload")
        self.dim = 1 if self.y is None else 2
        self.graded = self.p is not None
        for name in ("y", "c", "t", "p"):
            arr = getattr(self, name)
            if arr is not None and len(arr) != len(self.x):
                raise EventFormatError(f"has {len(arr)} events but 'x' has {len(self.x)}",
                                       field="payload" if name == "p" else name)

    def __len__(self) -> int:
        return len(self.x)

    def __repr__(self) -> str:
        kind = "graded" if self.graded else "binary"
        span = f", t in [{self.t.min():g}, {self.t.max():g}] ms" if len(self) else ""
        return f"Event({self.dim}D, {len(self)} {kind} events{span})"

    # ----------------------------------------------------------------- dense tensors
    def _default_shape(self, sampling_time: float) -> Tuple[int, ...]:
        if len(self) == 0:
            raise EventFormatError("cannot infer a tensor shape from an empty stream; pass dim")
        c = int(np.round(self.c.max())) + 1
        x = int(np.round(self.x.max())) + 1
        t = int(np.round(self.t.max() / sampling_time)) + 1
        if self.dim == 1:
            return (c, x, t)
        return (c, int(np.round(self.y.max())) + 1, x, t)

    def to_tensor(self, sampling_time: float = 1, dim: Optional[Sequence[int]] = None) -> np.ndarray:
        """Dense spike tensor (numpy float32): ``(C, X, T)`` for 1D, ``(C, H, W, T)`` for 2D.

        Args:
            sampling_time: time-bin width in ms.
            dim: tensor shape; by default just large enough for every event
                (``max address + 1``, ``round(max t / sampling_time) + 1`` bins).
                Events outside ``dim`` are dropped.
        """
        shape = tuple(int(d) for d in (self._default_shape(sampling_time) if dim is None else dim))
        if len(shape) != self.dim + 2:
            raise EventFormatError(f"dim {shape} must have {self.dim + 2} entries for a "
                                   f"{self.dim}D stream ({'C, X, T' if self.dim == 1 else 'C, H, W, T'})")
        return self.fill_tensor(np.zeros(shape, dtype=np.float32), sampling_time)

    def fill_tensor(self, empty_tensor: Union[np.ndarray, torch.Tensor], sampling_time: float = 1,
                    random_shift: bool = False, binning_mode: str = "OR",
                    rng: Optional[np.random.Generator] = None) -> Union[np.ndarray, torch.Tensor]:
        """Write the events into ``empty_tensor`` in place and return it.

        Args:
            empty_tensor: numpy array or torch tensor shaped ``(C, X, T)`` or ``(C, 1, X, T)``
                (1D streams) or ``(C, H, W, T)`` (2D); events outside it are dropped.
            sampling_time: time-bin width in ms; an event at ``t`` lands in bin
                ``round(t / sampling_time) - t_start``.
            random_shift: crop a random window: ``t_start`` is drawn uniformly from
                ``[0, max(0, last_bin - T + 1)]`` (``t_start = 0`` otherwise).
            binning_mode: ``'OR'`` sets a bin to the event value (several binary events in
                one bin count once; for graded ones one of their values is kept), ``'SUM'``
                adds the values of all events in a bin.
            rng: numpy generator for ``random_shift`` (default: a fresh unseeded one).
        """
        if binning_mode not in ("OR", "SUM"):
            raise ValueError(f"binning_mode must be 'OR' or 'SUM'; got {binning_mode!r}")
        shape = tuple(empty_tensor.shape)
        singleton_h = False
        if self.dim == 1:
            if len(shape) == 4 and shape[1] == 1:
                singleton_h = True
            elif len(shape) != 3:
                raise EventFormatError(f"a 1D stream fills a (C, X, T) or (C, 1, X, T) tensor; "
                                       f"got shape {shape}")
        elif len(shape) != 4:
            raise EventFormatError(f"a 2D stream fills a (C, H, W, T) tensor; got shape {shape}")
        num_bins = shape[-1]
        t_bin = np.round(self.t / sampling_time).astype(np.int64)
        if random_shift and len(self):
            generator = np.random.default_rng() if rng is None else rng
            t_start = int(generator.integers(0, max(0, int(t_bin.max()) - num_bins + 1) + 1))
        else:
            t_start = 0
        index = [np.round(self.c).astype(np.int64)]
        if self.dim == 2:
            index.append(np.round(self.y).astype(np.int64))
        elif singleton_h:
            index.append(np.zeros(len(self), dtype=np.int64))
        index.append(np.round(self.x).astype(np.int64))
        index.append(t_bin - t_start)
        keep = np.ones(len(self), dtype=bool)
        for idx, size in zip(index, shape):
            keep &= (idx >= 0) & (idx < size)
        index = [idx[keep] for idx in index]
        value = (np.ones(len(self)) if self.p is None else self.p.astype(np.float64))[keep] / sampling_time
        view = empty_tensor
        if torch.is_tensor(view):
            t_index = tuple(torch.as_tensor(i, device=view.device) for i in index)
            t_value = torch.as_tensor(value, dtype=view.dtype, device=view.device)
            view.index_put_(t_index, t_value, accumulate=binning_mode == "SUM")
        elif binning_mode == "SUM":
            np.add.at(view, tuple(index), value.astype(view.dtype))
        else:
            view[tuple(index)] = value
        return empty_tensor

    # ----------------------------------------------------------------- plots
    def frames(self, frame_rate: float = 24, num_frames: Optional[int] = None,
               shape: Optional[Sequence[int]] = None) -> np.ndarray:
        """Event counts per video frame: ``(F, C, X)`` for 1D, ``(F, C, H, W)`` for 2D.

        Frame ``f`` counts the events with ``f <= t * frame_rate / 1000 < f + 1`` (``t`` in ms,
        ``frame_rate`` in frames per second).  ``shape`` is the spatial ``(C, X)`` or
        ``(C, H, W)`` size (default: from the largest addresses).
        """
        if frame_rate <= 0:
            raise ValueError(f"frame_rate must be > 0 frames per second; got {frame_rate}")
        return self._binned_counts(np.floor(self.t * frame_rate / 1000.0).astype(np.int64),
                                   num_frames, shape)

    def _binned_counts(self, frame: np.ndarray, num_frames: Optional[int],
                       shape: Optional[Sequence[int]]) -> np.ndarray:
        if num_frames is None:
            num_frames = int(frame.max()) + 1 if len(self) else 1
        if shape is None:
            shape = self._default_shape(1)[:-1] if len(self) else (1,) * (self.dim + 1)
        out = np.zeros((int(num_frames),) + tuple(int(s) for s in shape), dtype=np.int64)
        index = [frame, np.round(self.c).astype(np.int64)]
        if self.dim == 2:
            index.append(np.round(self.y).astype(np.int64))
        index.append(np.round(self.x).astype(np.int64))
        keep = np.ones(len(self), dtype=bool)
        for idx, size in zip(index, out.shape):
            keep &= (idx >= 0) & (idx < size)
        np.add.at(out, tuple(idx[keep] for idx in index), 1)
        return out

    def show(self, fig=None, path: Optional[PathLike] = None, marker_size: float = 4):
        """Static plot: a raster (time in ms vs x, colour = channel) for 1D streams; for 2D
        streams one event-count image per channel (counts over the whole stream).

        A new figure is a plain ``matplotlib.figure.Figure`` (no pyplot state, no display
        needed).  With ``path`` the figure is also saved there (format from the suffix, e.g.
        ``.png``).  Returns the figure.
        """
        fig = _new_figure() if fig is None else fig
        fig.clf()
        if self.dim == 1:
            ax = fig.add_subplot(1, 1, 1)
            channels = np.unique(np.round(self.c).astype(np.int64)) if len(self) else []
            for ch in channels:
                sel = np.round(self.c).astype(np.int64) == ch
                ax.scatter(self.t[sel], self.x[sel], s=marker_size, label=f"c = {ch}")
            ax.set_xlabel("time [ms]")
            ax.set_ylabel("x (neuron)")
            if len(channels) > 1:
                ax.legend()
        else:
            counts = self._binned_counts(np.zeros(len(self), dtype=np.int64), 1, None)[0]  # (C, H, W)
            for ch in range(counts.shape[0]):
                ax = fig.add_subplot(1, counts.shape[0], ch + 1)
                ax.imshow(counts[ch], cmap="gray", origin="upper")
                ax.set_title(f"c = {ch}")
                ax.set_xlabel("x")
                ax.set_ylabel("y")
        if path is not None:
            fig.savefig(os.fspath(path))
        return fig

    def anim(self, fig=None, frame_rate: float = 24, repeat: bool = True,
             path: Optional[PathLike] = None):
        """Animation of the stream, one frame per ``1000 / frame_rate`` ms of events.

        Frames are :meth:`frames` rendered as RGB images: channel 0 in red, channel 1 in
        green (DVS OFF / ON), further channels added to every colour; each frame is scaled
        by the largest count of the whole stream.  1D streams show ``(C, X)`` as one row per
        channel.  With ``path`` the animation is saved (``.gif`` via Pillow, other suffixes
        via matplotlib's default writer for them).
        Returns the ``matplotlib.animation.FuncAnimation``.
        """
        from matplotlib import animation

        counts = self.frames(frame_rate).astype(np.float64)
        images = _rgb_frames(counts)
        fig = _new_figure() if fig is None else fig
        fig.clf()
        ax = fig.add_subplot(1, 1, 1)
        ax.set_axis_off()
        image = ax.imshow(images[0], aspect="auto" if self.dim == 1 else "equal")

        def draw(i):
            image.set_data(images[i])
            return (image,)

        movie = animation.FuncAnimation(fig, draw, frames=len(images), interval=1000.0 / frame_rate,
                                        blit=True, repeat=repeat)
        if path is not None:
            path = os.fspath(path)
            writer = animation.PillowWriter(fps=frame_rate) if path.lower().endswith(".gif") else None
            movie.save(path, writer=writer)
        return movie


def _new_figure():
    """A figure with an Agg canvas, independent of pyplot and of the session's backend."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure()
    FigureCanvasAgg(fig)
    return fig


def _rgb_frames(counts: np.ndarray) -> np.ndarray:
    """``(F, C, H, W)`` or ``(F, C, X)`` counts -> ``(F, H, W, 3)`` RGB in ``[0, 1]``."""
    if counts.ndim == 3:  # 1D stream (F, C, X): image row ch shows channel ch only
        rows = np.zeros((counts.shape[0], counts.shape[1], counts.shape[1], counts.shape[2]))
        for ch in range(counts.shape[1]):
            rows[:, ch, ch, :] = counts[:, ch, :]
        counts = rows
    num_frames, channels, height, width = counts.shape
    rgb = np.zeros((num_frames, height, width, 3))
    for ch in range(channels):
        if ch < 2:
            rgb[..., ch] += counts[:, ch]
        else:
            rgb += counts[:, ch, ..., None]
    peak = rgb.max()
    return np.clip(rgb / peak, 0, 1) if peak > 0 else rgb


def tensor_to_event(spike_tensor: Union[np.ndarray, torch.Tensor],
                    sampling_time: float = 1) -> Event:
    """Events of a dense spike tensor (inverse of :meth:`Event.to_tensor`).

    Args:
        spike_tensor: ``(X, T)`` or ``(C, X, T)`` -> 1D stream; ``(C, H, W, T)`` -> 2D stream.
            Every non-zero entry is one event.
        sampling_time: time-bin width in ms; event time = ``bin * sampling_time``.

    Returns:
        An :class:`Event` (events ordered by channel, then address, then time) with
        ``payload = value * sampling_time``, or no payload when every such value is 1.
    """
    arr = spike_tensor.detach().cpu().numpy() if torch.is_tensor(spike_tensor) else np.asarray(spike_tensor)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim not in (3, 4):
        raise EventFormatError(f"spike tensor must be (X, T), (C, X, T) or (C, H, W, T); "
                               f"got shape {arr.shape}")
    where = np.nonzero(arr)
    payload = arr[where].astype(np.float64) * sampling_time
    if np.all(payload == 1):
        payload = None
    t = where[-1] * sampling_time
    if arr.ndim == 3:
        return Event(where[1], None, where[0], t, payload)
    return Event(where[2], where[1], where[0], t, payload)


# ------------------------------------------------------------------------ binary formats
def _read_bytes(filename: PathLike) -> np.ndarray:
    with open(filename, "rb") as f:
        raw = np.frombuffer(f.read(), dtype=np.uint8)
    if raw.size % 5:
        raise EventFormatError(f"size {raw.size} bytes is not a multiple of 5 (40-bit events)",
                               path=filename)
    return raw.reshape(-1, 5).astype(np.int64)


def _polarity_time(raw: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    c = raw[:, 2] >> 7
    t_us = ((raw[:, 2] & 0x7F) << 16) | (raw[:, 3] << 8) | raw[:, 4]
    return c, t_us


def _checked_int(values: np.ndarray, bits: int, name: str, filename: PathLike) -> np.ndarray:
    ints = np.round(values).astype(np.int64)
    if ints.size and (ints.min() < 0 or ints.max() >= (1 << bits)):
        raise EventFormatError(f"values must lie in [0, {(1 << bits) - 1}] to fit {bits} bits; "
                               f"got range [{ints.min()}, {ints.max()}]", path=filename, field=name)
    return ints


def _encode(filename: PathLike, head: Sequence[np.ndarray], c: np.ndarray, t_us: np.ndarray) -> None:
    out = np.zeros((len(t_us), 5), dtype=np.uint8)
    for i, byte in enumerate(head):
        out[:, i] = byte
    out[:, 2] = (c << 7) | ((t_us >> 16) & 0x7F)
    out[:, 3] = (t_us >> 8) & 0xFF
    out[:, 4] = t_us & 0xFF
    with open(filename, "wb") as f:
        f.write(out.tobytes())


def _check_dim(td_event: Event, dim: int, filename: PathLike) -> None:
    if td_event.dim != dim:
        raise EventFormatError(f"this format stores {dim}D events; got a {td_event.dim}D stream",
                               path=filename)


def read_1d_spikes(filename: PathLike) -> Event:
    """Read a 1D 40-bit binary event file (x 16 bits, polarity 1 bit, t 23 bits in us).

    Returns an :class:`Event` with ``y = None`` and times in ms (``t_us / 1000``).
    """
    raw = _read_bytes(filename)
    x = (raw[:, 0] << 8) | raw[:, 1]
    c, t_us = _polarity_time(raw)
    return Event(x, None, c, t_us / 1000.0)


def encode_1d_spikes(filename: PathLike, td_event: Event) -> None:
    """Write a 1D stream in the 40-bit format of :func:`read_1d_spikes`.

    ``x`` must fit 16 bits, ``c`` 1 bit; times are rounded to whole microseconds and must fit
    23 bits (< 8388.608 ms).  Out-of-range values raise :class:`EventFormatError`.
    """
    _check_dim(td_event, 1, filename)
    x = _checked_int(td_event.x, 16, "x", filename)
    c = _checked_int(td_event.c, 1, "c", filename)
    t_us = _checked_int(td_event.t * 1000.0, _T_BITS, "t", filename)
    _encode(filename, [(x >> 8) & 0xFF, x & 0xFF], c, t_us)


def read_2d_spikes(filename: PathLike) -> Event:
    """Read a 2D 40-bit binary event file (N-MNIST format: x 8, y 8, polarity 1, t 23 bits in us).

    Returns an :class:`Event` with times in ms (``t_us / 1000``).
    """
    raw = _read_bytes(filename)
    c, t_us = _polarity_time(raw)
    return Event(raw[:, 0], raw[:, 1], c, t_us / 1000.0)


def encode_2d_spikes(filename: PathLike, td_event: Event) -> None:
    """Write a 2D stream in the N-MNIST 40-bit format of :func:`read_2d_spikes`.

    ``x`` and ``y`` must fit 8 bits, ``c`` 1 bit; times are rounded to whole microseconds and
    must fit 23 bits.  Out-of-range values raise :class:`EventFormatError`.
    """
    _check_dim(td_event, 2, filename)
    x = _checked_int(td_event.x, 8, "x", filename)
    y = _checked_int(td_event.y, 8, "y", filename)
    c = _checked_int(td_event.c, 1, "c", filename)
    t_us = _checked_int(td_event.t * 1000.0, _T_BITS, "t", filename)
    _encode(filename, [x, y], c, t_us)


_NP_FIELDS = {"x": "x", "y": "y", "p": "c", "c": "c", "t": "t", "v": "p"}


def _np_columns(fmt: str, dim: int, filename: PathLike) -> str:
    if sorted(set(fmt)) != sorted(fmt) or any(ch not in _NP_FIELDS for ch in fmt) \
            or not {"x", "t"} <= set(fmt) or len({"p", "c"} & set(fmt)) != 1:
        raise EventFormatError(f"fmt {fmt!r} must name each column once with letters from "
                               f"'xyptv' (x, y, polarity p, time t, payload v) and include x, p, t",
                               path=filename)
    return fmt.replace("y", "") if dim == 1 else fmt


def read_np_spikes(filename: PathLike, fmt: str = "xypt", time_unit: float = 1e-3) -> Event:
    """Read events from a numpy ``.npy`` array of shape ``(num_events, columns)``.

    ``fmt`` gives the column order (``'xypt'``: x, y, polarity, time).  A file with one column
    fewer than ``fmt`` (and ``y`` in ``fmt``) is read as a 1D stream without ``y``.  Times in the
    file are in units of ``time_unit`` seconds; the returned times are in ms.
    """
    data = np.load(filename)
    if data.ndim != 2:
        raise EventFormatError(f"expected a 2D (num_events, columns) array; got shape {data.shape}",
                               path=filename)
    cols = fmt
    if data.shape[1] == len(fmt) - 1 and "y" in fmt:
        cols = fmt.replace("y", "")
    cols = _np_columns(cols, 1 if "y" not in cols else 2, filename)
    if data.shape[1] != len(cols):
        raise EventFormatError(f"array has {data.shape[1]} columns but fmt {fmt!r} needs "
                               f"{len(cols)} ({len(cols) - 1} for 1D streams)", path=filename)
    field = {_NP_FIELDS[ch]: data[:, i] for i, ch in enumerate(cols)}
    return Event(field["x"], field.get("y"), field["c"], field["t"] * time_unit * 1e3, field.get("p"))


def encode_np_spikes(filename: PathLike, td_event: Event, fmt: str = "xypt",
                     time_unit: float = 1e-3) -> None:
    """Save events as a numpy ``.npy`` array in the column order ``fmt``.

    1D streams drop the ``y`` column.  Times are written in units of ``time_unit`` seconds.
    A graded stream needs a ``v`` column in ``fmt`` (else :class:`EventFormatError`).  The
    array is int64 when every value is integral, float64 otherwise.
    """
    cols = _np_columns(fmt, td_event.dim, filename)
    if td_event.graded and "v" not in cols:
        raise EventFormatError(f"graded events need a payload column 'v' in fmt {fmt!r}",
                               path=filename, field="payload")
    source = {"x": td_event.x, "y": td_event.y, "c": td_event.c,
              "t": td_event.t / (time_unit * 1e3),
              "p": td_event.p if td_event.p is not None else np.ones(len(td_event))}
    data = np.stack([np.asarray(source[_NP_FIELDS[ch]], dtype=np.float64) for ch in cols], axis=1) \
        if len(td_event) else np.zeros((0, len(cols)))
    if np.all(data == np.round(data)):
        data = data.astype(np.int64)
    with open(filename, "wb") as f:
        np.save(f, data)


# ------------------------------------------------------------------------ plot helpers
def _as_event(data: Union[Event, np.ndarray, torch.Tensor], sampling_time: float) -> Event:
    return data if isinstance(data, Event) else tensor_to_event(data, sampling_time)


def show(data: Union[Event, np.ndarray, torch.Tensor], path: Optional[PathLike] = None,
         sampling_time: float = 1, fig=None):
    """Raster / count plot (:meth:`Event.show`) of an event stream or a dense spike tensor
    (``(X, T)``, ``(C, X, T)`` or ``(C, H, W, T)``, bins ``sampling_time`` ms wide)."""
    return _as_event(data, sampling_time).show(fig=fig, path=path)


def anim(data: Union[Event, np.ndarray, torch.Tensor], path: Optional[PathLike] = None,
         frame_rate: float = 24, sampling_time: float = 1, fig=None, repeat: bool = True):
    """Animation (:meth:`Event.anim`) of an event stream or dense spike tensor, saved to ``path``."""
    return _as_event(data, sampling_time).anim(fig=fig, frame_rate=frame_rate, repeat=repeat, path=path)
