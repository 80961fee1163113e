# The IART training recipe shared by configs/iart/* (docs/release_differences.md, "Training recipe"), as
# variables that the configs substitute with {{_base_.<name>}} next to an MMagic data base (the keys carry
# _delete_ so they replace MMagic's BasicVSR settings instead of merging into them).
spynet_url = 'https://download.openmmlab.com/mmediting/restorers/basicvsr/spynet_20210409-c6c1bd09.pth'

# every argument but SPyNet keeps the released value (embed 120, depths/heads (6,6,6), window (3,8,8), IA).
# The release loads BasicSR's spynet_sintel_final; MMagic's SPyNet checkpoint (same network, MMagic layout) is
# the usual source here, a local file works too (model.generator.spynet_pretrained=path/to/spynet.pth).
iart_generator = dict(_delete_=True, type='IAPSRTRecurrentNet', spynet_pretrained=spynet_url)

# Adam(2e-4, betas 0.9/0.99, no weight decay) under CUDA AMP like the release; SPyNet at 0.125x (flow_lr_mul).
# AutoAmpOptimWrapper (iart_mm.engine.precision) is MMEngine's AmpOptimWrapper on a GPU and a plain fp32
# OptimWrapper on a CPU-only machine, so the same config trains on both.
iart_optim_wrapper = dict(
    _delete_=True,
    type='AutoAmpOptimWrapper',
    loss_scale='dynamic',
    optimizer=dict(type='Adam', lr=2e-4, betas=(0.9, 0.99), weight_decay=0),
    paramwise_cfg=dict(custom_keys={'spynet': dict(lr_mult=0.125)}))
# Vimeo-90K fine-tuning: lr 1e-4, flow_lr_mul 0.25
iart_vimeo_optim_wrapper = dict(
    iart_optim_wrapper,
    optimizer=dict(iart_optim_wrapper['optimizer'], lr=1e-4),
    paramwise_cfg=dict(custom_keys={'spynet': dict(lr_mult=0.25)}))

iart_custom_hooks = [
    dict(type='TestSafeVisualizationHook', interval=1),  # BasicVisualizationHook minus the train-loop build
    # EMA decay 0.999 of the parameters (BasicSR's net_g_ema); like the release, validate the raw weights
    dict(type='SelectableEMAHook', ema_type='ExponentialMovingAverage', momentum=0.001, update_buffers=False,
         val_on_ema=False, priority=49),
]

# one cosine period over the whole run (300K; the N16 config sets 600K), down to 1e-7, no warm-up
iart_param_scheduler = dict(
    _delete_=True, type='CosineRestartLR', by_epoch=False, periods=[300_000], restart_weights=[1], eta_min=1e-7)
