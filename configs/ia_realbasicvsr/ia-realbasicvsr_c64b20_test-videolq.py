# Test IA-RealBasicVSR on VideoLQ (real-world clips, no GT): NIQE on the Y channel, as MMagic's RealBasicVSR
# (its test_dataloader / test_evaluator), with the cleaning loop's test threshold (5, RealBasicVSR's value).
_base_ = './ia-realbasicvsr_c64b20-1x30x8_8xb1-lr5e-5-150k_reds.py'

experiment_name = 'ia-realbasicvsr_c64b20_test-videolq'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(generator=dict(dynamic_refine_thres=5))
