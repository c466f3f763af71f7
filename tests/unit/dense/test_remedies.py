"""Dropout and early stopping on the dense pages, and the Diabetes example's
settings: what the overfitting lesson's remedies do, tested on real runs."""

from __future__ import annotations

import pytest
import torch
from support import CPU, spec_for, trained

from playground.data.table import prepare, read_table, to_dataset, usable_features
from playground.data.table_examples import SETTINGS, example_csv
from playground.dense.model import build_model, summary
from playground.dense.probe import boundary_grid
from playground.dense.runner import Runner, predictions
from playground.dense.table_eval import regression_scores
from playground.dense.table_spec import TableExperiment
from playground.dense.trainer import Trainer

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/unit/conftest.py

# The overfitting lesson's setup: 20 noisy training points, a big network.
OVERFIT = dict(dataset="gauss", noise="0.5", n_samples="200", train_ratio="0.1",
               hidden="32-relu,32-relu", loss="bce", lr="0.01")


# ---- dropout ------------------------------------------------------------------------------
def test_the_spec_reads_the_remedies_from_a_link_and_clamps_them():
    spec = spec_for(dropout="0.3", early_stopping="1", patience="20")
    assert (spec.dropout, spec.early_stopping, spec.patience) == (0.3, True, 20)
    assert spec.to_query() == {"dropout": "0.3", "early_stopping": "1", "patience": "20"}
    clamped, notes = type(spec).parse({"dropout": "0.95", "patience": "0"})
    assert (clamped.dropout, clamped.patience) == (0.9, 1)
    assert {n.field for n in notes} == {"dropout", "patience"}


def test_dropout_follows_each_hidden_activation_and_keeps_the_weight_names():
    plain = build_model(spec_for(), 2, 1, torch.Generator().manual_seed(0))
    dropped = build_model(spec_for(dropout="0.5"), 2, 1, torch.Generator().manual_seed(0))
    assert plain.state_dict().keys() == dropped.state_dict().keys()  # a weights file fits both
    assert sum(isinstance(m, torch.nn.Dropout) for m in dropped.modules()) == 2
    assert list(summary(dropped, 2)["layer"])[2] == "1: tanh + dropout"


def test_dropout_is_random_while_training_and_off_when_predicting():
    spec = spec_for(dropout="0.5", hidden="32-relu")
    model = build_model(spec, 2, 1, torch.Generator().manual_seed(0))
    plain = build_model(spec_for(hidden="32-relu"), 2, 1, torch.Generator().manual_seed(0))
    x = torch.randn(64, 2)
    model.train()
    assert not torch.equal(model(x), model(x))  # a new mask on every pass
    model.eval()
    plain.eval()
    torch.testing.assert_close(model(x), plain(x))  # eval: exactly the network without it


def test_dropout_changes_training_but_boundary_and_predictions_use_every_neuron():
    with_dropout = trained(spec_for(**OVERFIT, dropout="0.5"), epochs=5)
    without = trained(spec_for(**OVERFIT), epochs=5)
    assert with_dropout.fast is None and without.fast is not None  # masks: autograd's job
    assert not torch.equal(with_dropout.weights[0], without.weights[0])
    # What the page draws comes from the model in eval mode: twice the same.
    first, again = boundary_grid(with_dropout), boundary_grid(with_dropout)
    assert (first.values == again.values).all()
    p1, p2 = predictions(with_dropout), predictions(with_dropout)
    assert (p1["test"] == p2["test"]).all()
    assert with_dropout.evaluate() == with_dropout.evaluate()


# ---- early stopping ----------------------------------------------------------------------
def test_early_stopping_stops_and_goes_back_to_the_best_weights():
    spec = spec_for(**OVERFIT, early_stopping="1", patience="10")
    trainer = Trainer(spec, device=CPU)
    for _ in range(300):
        trainer.train_epoch()
    assert trainer.finished == "early_stop" and trainer.done
    losses = trainer.history.cols["test_loss"]
    best_epoch = min(range(len(losses)), key=losses.__getitem__)
    assert trainer.epoch == best_epoch + 10 < 300  # measured: best 4, stopped at 14
    assert trainer.best[1] == best_epoch
    assert trainer.evaluate()["test_loss"] == pytest.approx(min(losses), abs=1e-6)
    for name, value in trainer.model.state_dict().items():
        assert torch.equal(value, trainer.best[2][name])
    epoch, step = trainer.epoch, trainer.step
    trainer.train_epoch()  # stopped: nothing happens
    assert (trainer.epoch, trainer.step) == (epoch, step)


def test_early_stopping_restores_through_the_fast_path():
    # The fast path's flat buffer holds the weights: the restore must reach it.
    trainer = Trainer(spec_for(**OVERFIT, early_stopping="1", patience="5"), device=CPU)
    assert trainer.fast is not None
    while not trainer.done:
        trainer.train_epoch()
    for lin, (w, _b) in zip(trainer.fast.linears, trainer.parameters_by_layer()):
        assert lin.weight.data_ptr() == w.data_ptr()
    assert trainer.evaluate()["test_loss"] == pytest.approx(trainer.best[0], abs=1e-6)


def test_without_early_stopping_training_goes_on():
    trainer = trained(spec_for(**OVERFIT), epochs=60)
    assert trainer.finished is None and trainer.epoch == 60


def test_the_runner_reports_an_early_stop_as_finished_and_play_does_nothing():
    runner = Runner(spec_for(**OVERFIT, early_stopping="1", patience="5"))
    runner.apply("play")
    while runner.running:
        runner.train_slice()
    msg = runner.message()
    assert (msg.status, msg.detail) == ("finished", "early_stop")
    runner.apply("play")
    assert not runner.running
    runner.apply("reset")
    assert runner.message().status == "paused" and runner.trainer.epoch == 0


def test_loading_weights_lifts_the_stop():
    trainer = Trainer(spec_for(**OVERFIT, early_stopping="1", patience="3"), device=CPU)
    while not trainer.done:
        trainer.train_epoch()
    trainer.load_state(trainer.model.state_dict())
    assert trainer.finished is None and trainer.best is not None  # the loaded weights' record
    trainer.train_epoch()
    assert trainer.epoch > 0 and not trainer.done


# ---- the Diabetes example ----------------------------------------------------------------
def diabetes_trainer(seed: int = 1) -> tuple[Trainer, object]:
    table = read_table(example_csv("diabetes"), "diabetes.csv")
    target = table.frame.columns[-1]
    prep = prepare(table, target, usable_features(table, target), "auto", "drop")
    spec, notes = TableExperiment.parse({**SETTINGS["diabetes"], "target": target, "seed": seed})
    assert notes == []
    spec = spec.with_problem(prep.problem, len(prep.class_names))
    data = to_dataset(prep, spec.train_ratio, spec.seed)
    return Trainer(spec, device=CPU, data=data), data


@pytest.mark.parametrize("seed", [1, 2])
def test_the_diabetes_example_settings_give_a_sensible_test_r2(seed):
    # Measured at 300 epochs: R² 0.39 (seed 1), 0.46 (seed 2); the page's
    # defaults give -0.27 and -0.62 there.
    trainer, data = diabetes_trainer(seed)
    assert trainer.spec.problem == "regression"
    for _ in range(300):
        trainer.train_epoch()
    r2 = regression_scores(data.y_test, predictions(trainer)["test"])["r2"]
    assert r2 > 0.3
