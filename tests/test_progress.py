"""Progress bars of simulate and rl.train: on, off or automatic, per block of runs, changing no number."""

import numpy as np
import pytest

import bandits
from bandits import rl
from bandits.engine import blocks

INST = bandits.instances.needle(K=8, m=3)


def sim(**kw):
    return bandits.simulate(INST, "thompson", horizon=200, runs=12, seed=3, batch=2, **kw)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_progress_false_writes_nothing_and_true_writes_a_bar(capsys, n_jobs):
    off = sim(progress=False, n_jobs=n_jobs)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""
    on = sim(progress=True, n_jobs=n_jobs)
    err = capsys.readouterr().err
    assert "12/12" in err and "thompson" in err and "run/s" in err
    for name in off.metrics:
        assert np.array_equal(off.metrics[name], on.metrics[name])


def test_the_automatic_bar_stays_silent_for_short_calls(capsys):
    auto = sim()  # progress=None: shown only after blocks.AUTO_DELAY seconds
    assert capsys.readouterr().err == ""
    assert np.array_equal(auto.regret, sim(progress=False).regret)


def test_the_automatic_bar_shows_on_long_calls(capsys, monkeypatch):
    monkeypatch.setattr(blocks, "AUTO_DELAY", 1e-9)
    sim()
    assert "12/12" in capsys.readouterr().err


def test_blocks_cover_the_runs_once_and_outnumber_the_threads():
    for runs in (1, 2, 7, 16, 100, 1001):
        for n_jobs in (1, 2, 3):
            for split in (False, True):
                got = blocks.blocks_of(runs, n_jobs, split)
                assert got[0][0] == 0 and got[-1][1] == runs
                assert all(lo < hi for lo, hi in got) and all(a[1] == b[0] for a, b in zip(got, got[1:]))
                if split:
                    assert len(got) == min(runs, n_jobs * blocks.BLOCKS_PER_THREAD)


def test_the_bar_advances_per_block_not_per_pull(monkeypatch):
    updates = []

    class Bar:
        def update(self, n):
            updates.append(n)

        def close(self):
            updates.append("closed")

    monkeypatch.setattr(blocks, "progress_bar", lambda progress, total, desc: Bar())
    sim(n_jobs=2)
    assert updates[-1] == "closed" and sum(updates[:-1]) == 12
    assert len(updates) - 1 == min(12, 2 * blocks.BLOCKS_PER_THREAD)


def test_a_failing_block_raises_and_closes_the_bar(capsys):
    def work(lo, hi, stop):
        if lo > 0:
            raise RuntimeError("block failed")

    with pytest.raises(RuntimeError, match="block failed"):
        blocks.run_in_blocks(work, 40, 2, progress=True)


def test_progress_must_be_a_bool_or_none(capsys):
    with pytest.raises(TypeError, match="progress"):
        sim(progress="yes")
    sim(progress=np.False_)
    assert capsys.readouterr().err == ""


def test_train_progress_on_and_off_give_the_same_numbers(capsys):
    qs = rl.transfer(X=6, K=20, m=4, seed=0)
    args = dict(bonus="ucb_con", steps=60, runs=6, seed=1, checkpoints=5, n_jobs=2)
    off = rl.train(qs, progress=False, **args)
    assert capsys.readouterr().err == ""
    on = rl.train(qs, progress=True, **args)
    assert "6/6" in capsys.readouterr().err
    for name in off.metrics:
        assert np.array_equal(off.metrics[name], on.metrics[name], equal_nan=True)


def test_in_jupyter_the_bar_is_a_widget_and_results_show_as_html(tmp_path):
    pytest.importorskip("ipywidgets", reason="tqdm's notebook bar needs ipywidgets (pip install .[notebook])")
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import bandits\n"
        "bandits.simulate(bandits.instances.needle(K=8, m=3), 'ucb1', horizon=100, runs=8, progress=True)")])
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[0].outputs
    assert not [o for o in outputs if o.output_type == "error"]
    kinds = [kind for o in outputs for kind in o.get("data", {})]
    assert "application/vnd.jupyter.widget-view+json" in kinds  # the bar: a widget, not text on stderr
    (result,) = [o for o in outputs if o.output_type == "execute_result"]
    assert "data:image/png;base64," in result.data["text/html"] and "95% CI low" in result.data["text/html"]
    assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr"]
