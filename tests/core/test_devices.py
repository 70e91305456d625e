"""Devices: what is listed, an absent device refused with the present ones named, and a
model and its sampler on one device. GPUs are simulated by patching torch.cuda's queries
(this machine has none); the figures they report are the patched ones."""

import pytest
import torch

from studio.core import devices
from studio.core.devices import DeviceError, device_choices, require_device, resolve_device
from studio.core.net import NetConfig, SequenceNet
from studio.core.sampling.sampler import SampleSettings, sample_stream


@pytest.fixture
def two_gpus(monkeypatch):
    names = {0: "NVIDIA H100 80GB HBM3", 1: "NVIDIA A10"}
    memory = {0: (40 * 2**30, 80 * 2**30), 1: (int(22.5 * 2**30), 24 * 2**30)}
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i=0: names[i])
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda i=0: memory[i])
    monkeypatch.setattr(devices, "_mps_available", lambda: False)


@pytest.fixture
def cpu_only(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    monkeypatch.setattr(devices, "_mps_available", lambda: False)


def test_gpus_are_listed_with_name_and_free_memory(two_gpus):
    choices = {name: (ok, why) for name, ok, why in device_choices()}
    assert choices["cuda:0"] == (True, "NVIDIA H100 80GB HBM3, 40.0 GiB free of 80.0 GiB")
    assert choices["cuda:1"] == (True, "NVIDIA A10, 22.5 GiB free of 24.0 GiB")
    assert choices["cuda"][0] and "2 GPUs" in choices["cuda"][1]
    assert not choices["mps"][0]
    assert f"{torch.get_num_threads()} torch threads" in choices["cpu"][1]
    assert choices["auto"][1].startswith("the best here: cuda:0 (NVIDIA H100")
    assert require_device("cuda:1") == torch.device("cuda", 1)
    with pytest.raises(DeviceError, match=r"2 GPU\(s\): cuda:0 .. cuda:1"):
        require_device("cuda:2")


def test_an_absent_device_is_refused_naming_the_present_ones(cpu_only):
    with pytest.raises(DeviceError) as err:
        require_device("cuda")
    message = str(err.value)
    assert "'cuda' is not available" in message
    assert message.endswith(f"Devices here: cpu ({torch.get_num_threads()} torch threads, "
                            f"{__import__('os').cpu_count()} logical cores)")
    with pytest.raises(DeviceError, match="Apple MPS needs macOS"):
        require_device("mps")
    with pytest.raises(DeviceError, match=r"unknown device 'tpu' \(choose auto, cpu, cuda, cuda:N or mps\)\. Devices"):
        require_device("tpu")
    assert require_device("auto") == torch.device("cpu") == require_device("cpu")
    # the window's path falls back to the CPU instead, and says what is here
    dev, note = resolve_device("cuda")
    assert dev == torch.device("cpu") and "using CPU (here: cpu (" in note
    assert [c[0] for c in device_choices()] == ["auto", "cpu", "cuda", "mps"]


def test_the_sampler_refuses_a_device_the_model_is_not_on():
    torch.manual_seed(0)
    model = SequenceNet(NetConfig(cell="lstm", vocab_size=12, layers=1, hidden=8, embedding=4))
    settings = SampleSettings(max_length=5, seed=1)
    # before the fix this died inside F.embedding ("Expected all tensors to be on the same device")
    for asked, spelled in (("cuda", "cuda"), ("cuda:1", "cuda:1"), (torch.device("meta"), "meta")):
        with pytest.raises(ValueError) as info:
            next(sample_stream(model, [0], settings, device=asked))
        # the whole message: the hint must name the device asked for, as load_checkpoint takes it
        assert str(info.value) == (
            f"the model is on cpu but sampling was asked to run on {spelled}: load the model on "
            f"{spelled} (load_checkpoint(path, device='{spelled}')), or leave the device out to "
            "sample where the model is")
    # the model's own device, spelled either way, samples the same take as no device at all
    takes = [[s.tokens for s in sample_stream(model, [0], settings, device=d)]
             for d in (None, "cpu", torch.device("cpu"))]
    assert takes[0] == takes[1] == takes[2] and len(takes[0]) >= 1


def test_the_cli_lists_devices_and_refuses_an_absent_one(cpu_only, capsys):
    from studio.cli.main import main

    assert main(["sample", "dinos-lstm", "--device", "list"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"cpu ({torch.get_num_threads()} torch threads, {__import__('os').cpu_count()} logical cores)"]
    assert main(["sample", "dinos-lstm", "-n", "2", "--device", "cuda"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith(
        "sequence-studio sample: device 'cuda' is not available (") and "Devices here: cpu (" in captured.err
