"""``one_rank_per_sample``: evaluation loaders split their samples over the ranks without repeating any."""
from mmengine import Config
from mmengine.dataset import DefaultSampler

from iart_mm.engine.distributed import one_rank_per_sample, setup_distributed


def test_every_eval_loader_gets_a_non_repeating_sampler():
    cfg = Config(dict(
        val_dataloader=dict(dataset=dict()),  # no sampler: every rank would score every clip
        test_dataloader=[dict(sampler=dict(type='DefaultSampler', shuffle=False), dataset=dict()),
                         dict(sampler=dict(type='MyOwnSampler'), dataset=dict())],
        train_dataloader=dict(sampler=dict(type='InfiniteSampler', shuffle=True))))
    one_rank_per_sample(cfg)
    assert cfg.val_dataloader.sampler == dict(type='DefaultSampler', shuffle=False, round_up=False)
    assert cfg.test_dataloader[0].sampler == dict(type='DefaultSampler', shuffle=False, round_up=False)
    assert cfg.test_dataloader[1].sampler == dict(type='MyOwnSampler')  # the config's own choice is kept
    assert cfg.train_dataloader.sampler == dict(type='InfiniteSampler', shuffle=True)


def test_single_process_configs_are_left_alone():
    cfg = Config(dict(launcher='none', test_dataloader=dict(dataset=dict())))
    setup_distributed(cfg)
    assert 'sampler' not in cfg.test_dataloader


def test_three_clips_on_two_ranks_are_split_two_and_one(monkeypatch):
    import mmengine.dataset.sampler as sampler_module
    dataset = list(range(3))
    assert list(DefaultSampler(dataset, shuffle=False, round_up=False)) == [0, 1, 2]  # one process: all, in order
    shares = []
    for rank in (0, 1):
        monkeypatch.setattr(sampler_module, 'get_dist_info', lambda rank=rank: (rank, 2))
        shares.append(list(DefaultSampler(dataset, shuffle=False, round_up=False)))
    assert shares == [[0, 2], [1]]  # each clip on exactly one rank, none repeated
