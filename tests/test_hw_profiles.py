"""Hardware profile loader: documented values and named errors for bad files."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import hw_profiles
from hw_profiles import ProfileError


def test_available_lists_bundled_profiles():
    assert {"loihi1", "loihi2"} <= set(hw_profiles.available())


def test_loihi1_documented_values():
    p = hw_profiles.load("loihi1")
    assert (p.name, p.chips, p.cores_per_chip) == ("loihi1", 1, 128)
    assert p.neurons_per_core == 1024
    assert p.synaptic_memory_bits_per_core == 16384 * 64  # 128 KB
    assert (p.input_axons_per_core, p.output_axons_per_core) == (4096, 4096)
    assert (p.weight_bits, p.weight_exp_min, p.weight_exp_max) == (8, -7, 7)
    assert (p.threshold_mant_bits, p.decay_bits, p.state_bits) == (17, 12, 24)
    assert (p.bias_mant_bits, p.bias_exp_bits, p.delay_bits, p.graded_spike_bits) == \
        (13, 3, 6, 0)
    assert p.energy_per_synop_pj == 23.6 and p.time_per_synop_ns == 3.5
    assert p.energy_per_neuron_update_pj == 81.0 and p.time_per_neuron_update_ns == 8.4
    assert p.energy_per_spike_pj == 1.7
    assert p.total_cores == 128
    assert p.core_limits == {"neurons": 1024, "synaptic_memory_bits": 1048576,
                             "input_axons": 4096, "output_axons": 4096}


def test_loihi2_documented_values():
    p = hw_profiles.load("loihi2")
    assert (p.name, p.chips, p.cores_per_chip) == ("loihi2", 1, 128)
    assert p.neurons_per_core == 8192
    assert p.synaptic_memory_bits_per_core == 192 * 1024 * 8
    assert (p.weight_bits, p.delay_bits, p.graded_spike_bits) == (8, 6, 24)
    assert (p.threshold_mant_bits, p.decay_bits, p.state_bits) == (17, 12, 24)
    assert p.energy_per_synop_pj is None and p.time_per_synop_ns is None
    assert p.total_cores == 128


def test_profile_is_frozen_and_load_passes_instances_through():
    p = hw_profiles.load("loihi2")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.chips = 2  # type: ignore[misc]
    assert hw_profiles.load(p) is p


def test_user_profile_by_path(tmp_path: Path):
    src = hw_profiles.PROFILE_DIR / "loihi1.toml"
    text = src.read_text().replace("chips = 1 ", "chips = 2 ")
    user = tmp_path / "kapoho_bay.toml"
    user.write_text(text)
    p = hw_profiles.load(user)
    assert p.chips == 2 and p.total_cores == 256
    assert p.source == str(user)
    assert dataclasses.replace(p, chips=1, source=None) == \
        dataclasses.replace(hw_profiles.load("loihi1"), source=None)


def _write(tmp_path: Path, edit) -> Path:
    lines = (hw_profiles.PROFILE_DIR / "loihi2.toml").read_text().splitlines()
    path = tmp_path / "bad.toml"
    path.write_text("\n".join(edit(lines)) + "\n")
    return path


@pytest.mark.parametrize("edit, key, words", [
    (lambda ls: ls + ["spikes_per_second = 3"], "spikes_per_second", "unknown key"),
    (lambda ls: [x for x in ls if not x.startswith("neurons_per_core")], "neurons_per_core",
     "missing"),
    (lambda ls: [x.replace("= 8192", '= "many"', 1) if x.startswith("neurons_per_core") else x
                 for x in ls], "neurons_per_core", "integer"),
    (lambda ls: [x.replace("= 8 ", "= 8.5 ") if x.startswith("weight_bits") else x
                 for x in ls], "weight_bits", "integer"),
    (lambda ls: [x.replace("= 128", "= 0") if x.startswith("cores_per_chip") else x
                 for x in ls], "cores_per_chip", ">= 1"),
    (lambda ls: [x.replace("= -7", "= 9") if x.startswith("weight_exp_min") else x
                 for x in ls], "weight_exp_min", "weight_exp_max"),
    (lambda ls: [x.replace("= 7", "= 8") if x.startswith("weight_exp_max") else x
                 for x in ls], "weight_exp_max", "-7..7"),
    (lambda ls: [x.replace("= -7", "= -9") if x.startswith("weight_exp_min") else x
                 for x in ls], "weight_exp_min", ">= -7"),
    (lambda ls: ls + ["energy_per_synop_pj = -1.0"], "energy_per_synop_pj", "non-negative"),
])
def test_bad_user_file_names_file_and_key(tmp_path, edit, key, words):
    path = _write(tmp_path, edit)
    with pytest.raises(ProfileError) as info:
        hw_profiles.load(path)
    err = info.value
    assert err.key == key and err.path == str(path)
    assert str(path) in str(err) and f"'{key}'" in str(err) and words in str(err)


def test_not_toml_and_missing_file(tmp_path):
    bad = tmp_path / "broken.toml"
    bad.write_text("chips = [1,\n")
    with pytest.raises(ProfileError, match="not valid TOML") as info:
        hw_profiles.load(bad)
    assert info.value.path == str(bad)
    with pytest.raises(ProfileError, match="not found"):
        hw_profiles.load(tmp_path / "nope.toml")
    with pytest.raises(ProfileError, match="no bundled profile 'loihi9'"):
        hw_profiles.load("loihi9")
