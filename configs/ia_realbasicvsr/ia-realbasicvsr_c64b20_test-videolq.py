# Test IA-RealBasicVSR on VideoLQ (real-world clips, no GT): NIQE on the Y channel of every 8-bit output frame,
# mean per clip then over clips (ClipNIQE; a per-clip table in the log), with the cleaning loop's test threshold
# (5, RealBasicVSR's value). Needs only VideoLQ on disk (layout: configs/_base_/test_sets.py):
#   python tools/test.py configs/ia_realbasicvsr/ia-realbasicvsr_c64b20_test-videolq.py CHECKPOINT
#   tools/dist_test.sh configs/ia_realbasicvsr/ia-realbasicvsr_c64b20_test-videolq.py CHECKPOINT GPUS
_base_ = ['./ia-realbasicvsr_c64b20-1x30x8_8xb1-lr5e-5-150k_reds.py', '../_base_/test_sets.py']

experiment_name = 'ia-realbasicvsr_c64b20_test-videolq'
work_dir = f'./work_dirs/{experiment_name}'
load_from = None  # the checkpoint comes from the command line

# the checkpoint holds every weight (the training losses' VGG included): nothing to download
model = dict(generator=dict(dynamic_refine_thres=5, spynet_pretrained=None), perceptual_loss=dict(pretrained=None))
# testing needs no per-module DDP (MMagic's GAN wrapper passes GPU device ids, which a CPU run refuses)
model_wrapper_cfg = dict(_delete_=True, type='DeviceAwareDistributedDataParallel', find_unused_parameters=True)
test_cfg = dict(type='MultiTestLoop')
test_dataloader = [{{_base_.videolq_test_dataloader}}]
test_evaluator = [{{_base_.videolq_test_evaluator}}]
custom_hooks = [dict(type='TestProgressHook')]  # a log line per clip with the time left; no image dumps
