"""trainers.slayer.io: event streams, dense tensors and binary formats with exact values."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from trainers.slayer import io


def _events_1d() -> io.Event:
    return io.Event(x_event=[0, 300, 65535, 7], y_event=None, c_event=[0, 1, 1, 0],
                    t_event=[0.0, 1.5, 8388.607, 2.25])


def _events_2d() -> io.Event:
    return io.Event(x_event=[5, 0, 33, 255], y_event=[7, 1, 33, 0], c_event=[1, 0, 1, 0],
                    t_event=[1.0, 0.001, 305.5, 8000.0])


def _assert_same_events(a: io.Event, b: io.Event) -> None:
    assert a.dim == b.dim and len(a) == len(b)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.c, b.c)
    np.testing.assert_allclose(a.t, b.t, rtol=0, atol=1e-9)
    if a.dim == 2:
        np.testing.assert_array_equal(a.y, b.y)


# ---------------------------------------------------------------- binary formats
def test_1d_bytes_are_the_40_bit_layout(tmp_path):
    path = tmp_path / "one.bs1"
    io.encode_1d_spikes(path, io.Event([0x0102], None, [1], [0x030405 / 1000]))
    assert path.read_bytes() == bytes([0x01, 0x02, 0x83, 0x04, 0x05])
    event = io.read_1d_spikes(path)
    assert (event.x.tolist(), event.c.tolist(), event.y) == ([0x0102], [1], None)
    assert event.t.tolist() == [0x030405 / 1000]


def test_1d_round_trip(tmp_path):
    path = tmp_path / "sample.bs1"
    original = _events_1d()
    io.encode_1d_spikes(path, original)
    assert path.stat().st_size == 5 * 4
    _assert_same_events(io.read_1d_spikes(path), original)


def test_2d_bytes_are_the_nmnist_layout(tmp_path):
    path = tmp_path / "one.bin"
    io.encode_2d_spikes(path, io.Event([5], [7], [1], [1.0]))  # t = 1000 us = 0x0003E8
    assert path.read_bytes() == bytes([0x05, 0x07, 0x80, 0x03, 0xE8])


def test_2d_round_trip(tmp_path):
    path = tmp_path / "sample.bin"
    original = _events_2d()
    io.encode_2d_spikes(path, original)
    event = io.read_2d_spikes(path)
    _assert_same_events(event, original)
    assert event.t.tolist() == [1.0, 0.001, 305.5, 8000.0]


_US = st.integers(0, (1 << 23) - 1)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 1), _US),
                max_size=30))
def test_2d_round_trip_property(tmp_path_factory, events):
    path = tmp_path_factory.mktemp("nmnist") / "e.bin"
    x, y, c, t_us = (np.array(col, dtype=np.int64) for col in zip(*events)) if events else ([],) * 4
    io.encode_2d_spikes(path, io.Event(x, y, c, np.asarray(t_us) / 1000))
    back = io.read_2d_spikes(path)
    assert back.x.tolist() == list(x) and back.y.tolist() == list(y) and back.c.tolist() == list(c)
    assert np.round(back.t * 1000).astype(np.int64).tolist() == list(t_us)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 65535), st.integers(0, 1), _US), max_size=30))
def test_1d_round_trip_property(tmp_path_factory, events):
    path = tmp_path_factory.mktemp("bs1") / "e.bs1"
    x, c, t_us = (np.array(col, dtype=np.int64) for col in zip(*events)) if events else ([],) * 3
    io.encode_1d_spikes(path, io.Event(x, None, c, np.asarray(t_us) / 1000))
    back = io.read_1d_spikes(path)
    assert back.x.tolist() == list(x) and back.c.tolist() == list(c)
    assert np.round(back.t * 1000).astype(np.int64).tolist() == list(t_us)


def test_binary_formats_reject_bad_input(tmp_path):
    with pytest.raises(io.EventFormatError, match=r"big\.bin: field 'x': .*8 bits"):
        io.encode_2d_spikes(tmp_path / "big.bin", io.Event([256], [0], [0], [0.0]))
    with pytest.raises(io.EventFormatError, match=r"late\.bs1: field 't'"):
        io.encode_1d_spikes(tmp_path / "late.bs1", io.Event([1], None, [0], [8388.609]))
    with pytest.raises(io.EventFormatError, match="2D events; got a 1D stream"):
        io.encode_2d_spikes(tmp_path / "x.bin", _events_1d())
    broken = tmp_path / "broken.bin"
    broken.write_bytes(bytes(7))
    with pytest.raises(io.EventFormatError, match=r"broken\.bin: size 7 bytes"):
        io.read_2d_spikes(broken)
    with pytest.raises(io.EventFormatError, match="field 't': has 1 events but 'x' has 2"):
        io.Event([1, 2], None, [0, 0], [0.0])


def test_np_round_trip_and_units(tmp_path):
    path2 = tmp_path / "two.npy"
    io.encode_np_spikes(path2, _events_2d())
    stored = np.load(path2)
    assert stored.dtype == np.float64  # 305.5 and 0.001 ms are not integral
    np.testing.assert_array_equal(stored[0], [5, 7, 1, 1.0])
    _assert_same_events(io.read_np_spikes(path2), _events_2d())

    path_us = tmp_path / "us.npy"
    io.encode_np_spikes(path_us, _events_2d(), fmt="txyp", time_unit=1e-6)
    stored = np.load(path_us)
    assert stored.dtype == np.int64
    assert stored[:, 0].tolist() == [1000, 1, 305500, 8000000]  # microseconds
    _assert_same_events(io.read_np_spikes(path_us, fmt="txyp", time_unit=1e-6), _events_2d())

    path1 = tmp_path / "one.npy"
    io.encode_np_spikes(path1, _events_1d())
    assert np.load(path1).shape == (4, 3)  # x, p, t: no y column
    event = io.read_np_spikes(path1)
    assert event.dim == 1
    _assert_same_events(event, _events_1d())


def test_np_reads_hand_written_file_and_payload(tmp_path):
    path = tmp_path / "hand.npy"
    np.save(path, np.array([[3, 1, 0, 250], [4, 2, 1, 500]]))
    event = io.read_np_spikes(path, time_unit=1e-6)  # t column in us
    assert (event.x.tolist(), event.y.tolist(), event.c.tolist()) == ([3, 4], [1, 2], [0, 1])
    assert event.t.tolist() == [0.25, 0.5]
    graded = io.Event([1, 2], None, [0, 0], [3.0, 4.0], payload=[0.5, 2.0])
    with pytest.raises(io.EventFormatError, match="each column once"):
        io.encode_np_spikes(tmp_path / "bad.npy", graded, fmt="xpct")
    with pytest.raises(io.EventFormatError, match="payload column 'v'"):
        io.encode_np_spikes(tmp_path / "g.npy", graded)
    io.encode_np_spikes(tmp_path / "g.npy", graded, fmt="xptv")
    back = io.read_np_spikes(tmp_path / "g.npy", fmt="xptv")
    assert back.p.tolist() == [0.5, 2.0] and back.graded


# ---------------------------------------------------------------- dense tensors
def test_to_tensor_1d_exact():
    event = io.Event([0, 2, 2, 1], None, [0, 1, 1, 0], [0.0, 1.0, 1.4, 3.0])
    dense = event.to_tensor()
    assert dense.shape == (2, 3, 4)  # (C, X, T)
    expected = np.zeros((2, 3, 4))
    expected[0, 0, 0] = expected[1, 2, 1] = expected[0, 1, 3] = 1  # 1.0 and 1.4 share bin 1 (OR)
    np.testing.assert_array_equal(dense, expected)
    coarse = event.to_tensor(sampling_time=2)  # bins round(t / 2): 0, 0 (1.0 -> 0.5 -> 0), 1, 2
    assert coarse.shape == (2, 3, 3)
    assert coarse[1, 2].tolist() == [0.5, 0.5, 0.0]  # value 1 / sampling_time
    assert coarse[0, 1].tolist() == [0.0, 0.0, 0.5]


def test_to_tensor_2d_with_dim_drops_outside():
    event = _events_2d()
    dense = event.to_tensor(sampling_time=1, dim=(2, 34, 34, 310))
    assert dense.sum() == 3  # (255, 0) lies outside the 34 x 34 frame
    assert dense[1, 7, 5, 1] == 1 and dense[0, 1, 0, 0] == 1 and dense[1, 33, 33, 306] == 1


def test_fill_tensor_torch_sum_mode_and_random_shift():
    event = io.Event([1, 1, 0], None, [0, 0, 0], [2.0, 2.2, 5.0], payload=[1.0, 3.0, 2.0])
    summed = event.fill_tensor(torch.zeros(1, 1, 2, 6), binning_mode="SUM")  # (C, 1, X, T)
    assert summed[0, 0].tolist() == [[0, 0, 0, 0, 0, 2], [0, 0, 4, 0, 0, 0]]
    ored = event.fill_tensor(torch.zeros(1, 2, 6))
    assert ored[0, 0].tolist() == [0, 0, 0, 0, 0, 2]
    # window of 3 bins out of 6 (last bin 5): t_start is drawn from 0..3 and every event
    # lands in bin (its bin - t_start) when that is inside the window
    starts = []
    rng = np.random.default_rng(1)
    for _ in range(40):
        win = event.fill_tensor(np.zeros((1, 2, 3)), random_shift=True, rng=rng)
        if win[0, 0].any():  # x = 0 event (bin 5) visible only when t_start = 3
            start = 5 - int(np.argmax(win[0, 0]))
            assert start == 3 and win[0, 0].sum() == 2 and not win[0, 1].any()
        else:  # x = 1 events (bin 2) visible for t_start 0..2
            start = 2 - int(np.argmax(win[0, 1]))
            assert np.count_nonzero(win[0, 1]) == 1
        starts.append(start)
    assert set(starts) == {0, 1, 2, 3}


def test_tensor_to_event_inverts_to_tensor():
    event = io.Event([5, 0, 3, 1], [2, 1, 2, 0], [1, 0, 1, 0], [1.0, 0.2, 3.5, 4.0])
    dense = event.to_tensor(sampling_time=0.5, dim=(2, 3, 6, 9))
    back = io.tensor_to_event(dense, sampling_time=0.5)
    assert back.dim == 2 and not back.graded
    # ordered by channel, y, x, time; 0.2 ms lands in bin round(0.4) = 0
    assert back.c.tolist() == [0, 0, 1, 1]
    assert back.y.tolist() == [0, 1, 2, 2]
    assert back.x.tolist() == [1, 0, 3, 5]
    assert back.t.tolist() == [4.0, 0.0, 3.5, 1.0]
    np.testing.assert_array_equal(back.to_tensor(0.5, dim=dense.shape), dense)
    graded = torch.zeros(3, 4)
    graded[1, 2] = 0.75
    back1 = io.tensor_to_event(graded, sampling_time=2)  # (X, T) -> 1D stream on channel 0
    assert (back1.dim, back1.x.tolist(), back1.c.tolist(), back1.t.tolist(), back1.p.tolist()) == \
        (1, [1], [0], [4], [1.5])
    np.testing.assert_array_equal(back1.to_tensor(2, dim=(1, 3, 4))[0], graded.numpy())


# ---------------------------------------------------------------- plots
def test_frames_counts():
    event = io.Event([0, 1, 1, 2], [0, 0, 0, 1], [0, 1, 1, 0], [0.0, 10.0, 30.0, 99.0])
    frames = event.frames(frame_rate=25)  # 40 ms per frame: frames 0, 0, 0, 2
    assert frames.shape == (3, 2, 2, 3)
    assert frames[0, 1, 0, 1] == 2 and frames[0, 0, 0, 0] == 1 and frames[2, 0, 1, 2] == 1
    assert frames.sum() == 4


def test_show_and_anim_write_files(tmp_path):
    event = _events_1d()
    fig = io.show(event)
    scatter = fig.axes[0].collections
    np.testing.assert_array_equal(scatter[0].get_offsets(), [[0.0, 0], [2.25, 7]])  # channel 0
    np.testing.assert_array_equal(scatter[1].get_offsets(), [[1.5, 300], [8388.607, 65535]])
    io.show(_events_2d(), path=tmp_path / "counts.png")
    assert (tmp_path / "counts.png").read_bytes()[:4] == b"\x89PNG"

    from PIL import Image

    spikes = torch.zeros(2, 4, 4, 100)  # (C, H, W, T) at 1 ms bins
    spikes[0, 1, 2, 5] = spikes[1, 3, 0, 60] = 1
    io.anim(spikes, path=tmp_path / "movie.gif", frame_rate=20)  # 50 ms per frame -> 2 frames
    with Image.open(tmp_path / "movie.gif") as gif:
        assert gif.n_frames == 2
        first = np.asarray(gif.convert("RGB"))
    assert first.shape[0] > 0 and first.reshape(-1, 3).max(axis=0)[0] > 200  # red OFF event shown
