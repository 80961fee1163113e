# Test the IART Vimeo-90K BD model on all its BD test sets in one run: Vid4 BDx4 (Table 2: 29.68 / 0.8884),
# UDM10 BDx4 and Vimeo-90K-T BDx4, Y channel, the project's protocol metric. Needs the three sets on disk; with
# one set, use iart_c64e120_test-{vid4,udm10,vimeo90k-t}-bd.py. UDM10 clips are long at full size, so features
# are cached on the CPU beyond 20 frames (the release's UDM10 script uses cpu_cache_length=20; the numbers do
# not change).
_base_ = ['./iart_c64e120-n14_8xb1-300k_vimeo90k-bd.py', '../_base_/test_sets.py']

experiment_name = 'iart_c64e120_test-vimeo90k-bd'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(generator=dict(cpu_cache_length=20, spynet_pretrained=None))  # the checkpoint holds every weight
test_cfg = dict(type='MultiTestLoop')
test_dataloader = [
    {{_base_.vid4_bd_test_dataloader}}, {{_base_.udm10_bd_test_dataloader}}, {{_base_.vimeo90k_t_bd_test_dataloader}}
]
test_evaluator = [
    {{_base_.vid4_bd_test_evaluator}}, {{_base_.udm10_bd_test_evaluator}}, {{_base_.vimeo90k_t_bd_test_evaluator}}
]
custom_hooks = [dict(type='TestProgressHook')]  # a log line per clip with the time left; no image dumps
