"""Literal re-implementation of the released IART forward (plain torch), the *baseline* of the benchmarks.

It keeps the release's costs on purpose: explicit (windows, heads, N, N) logits with the relative-position bias
gathered from the table on every block call and the shift mask added to them, ``.contiguous()`` copies
between the (b, c, t, h, w) and (b, t, h, w, c) layouts, the no-op temporal roll, reentrant
``torch.utils.checkpoint`` around every Swin block (``use_checkpoint=True`` as released), every branch's
per-frame features kept to the end, and the release's per-pixel IA tensors (``release_ia.ReferenceImplicitWarp``).
SPyNet is BasicSR's (the release's), with its key names, so an official state dict loads strictly as it is.

Differences from the release that change no number in fp32 (docs/release_differences.md, 'IART network'):
everything runs on the input's device (no ``.cuda()``), the backbones are built without CUDA, and the forward
flows are always computed (the release reuses the flipped backward flows for a mirror-extended clip).
"""
import functools
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint as checkpoint

from .release_ia import ReferenceImplicitWarp

BRANCHES = ('backward_1', 'forward_1', 'backward_2', 'forward_2')


def flow_warp(x, flow, padding_mode='zeros'):
    """BasicSR's ``flow_warp``: x (n, c, h, w) sampled at p + flow(p), flow (n, h, w, 2) as (dx, dy) pixels;
    bilinear, align_corners=True."""
    n, _, h, w = x.size()
    grid_y, grid_x = torch.meshgrid(torch.arange(0, h).type_as(x), torch.arange(0, w).type_as(x), indexing='ij')
    grid = torch.stack((grid_x, grid_y), 2).float()
    vgrid = grid + flow
    vgrid_x = 2.0 * vgrid[:, :, :, 0] / max(w - 1, 1) - 1.0
    vgrid_y = 2.0 * vgrid[:, :, :, 1] / max(h - 1, 1) - 1.0
    vgrid_scaled = torch.stack((vgrid_x, vgrid_y), dim=3)
    return F.grid_sample(x, vgrid_scaled, mode='bilinear', padding_mode=padding_mode, align_corners=True)


class SpyNetBasicModule(nn.Module):
    """One pyramid level: Conv(8, 32, 64, 32, 16, 2), 7x7, ReLU between."""

    def __init__(self):
        super().__init__()
        self.basic_module = nn.Sequential(
            nn.Conv2d(8, 32, 7, 1, 3), nn.ReLU(inplace=False), nn.Conv2d(32, 64, 7, 1, 3), nn.ReLU(inplace=False),
            nn.Conv2d(64, 32, 7, 1, 3), nn.ReLU(inplace=False), nn.Conv2d(32, 16, 7, 1, 3), nn.ReLU(inplace=False),
            nn.Conv2d(16, 2, 7, 1, 3))

    def forward(self, x):
        return self.basic_module(x)


class SpyNet(nn.Module):
    """BasicSR's SpyNet: ``spynet(ref, supp)`` -> (n, 2, h, w) flow (dx, dy) with supp(p + flow(p)) ~ ref(p)."""

    def __init__(self):
        super().__init__()
        self.register_buffer('mean', torch.Tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer('std', torch.Tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))
        self.basic_module = nn.ModuleList([SpyNetBasicModule() for _ in range(6)])

    def process(self, ref, supp):
        ref = [(ref - self.mean) / self.std]
        supp = [(supp - self.mean) / self.std]
        for _ in range(5):
            ref.insert(0, F.avg_pool2d(input=ref[0], kernel_size=2, stride=2, count_include_pad=False))
            supp.insert(0, F.avg_pool2d(input=supp[0], kernel_size=2, stride=2, count_include_pad=False))
        flow = ref[0].new_zeros([ref[0].size(0), 2, int(math.floor(ref[0].size(2) / 2.0)),
                                 int(math.floor(ref[0].size(3) / 2.0))])
        for level in range(len(ref)):
            upsampled_flow = F.interpolate(input=flow, scale_factor=2, mode='bilinear', align_corners=True) * 2.0
            if upsampled_flow.size(2) != ref[level].size(2):
                upsampled_flow = F.pad(input=upsampled_flow, pad=[0, 0, 0, 1], mode='replicate')
            if upsampled_flow.size(3) != ref[level].size(3):
                upsampled_flow = F.pad(input=upsampled_flow, pad=[0, 1, 0, 0], mode='replicate')
            warped = flow_warp(supp[level], upsampled_flow.permute(0, 2, 3, 1), padding_mode='border')
            flow = self.basic_module[level](torch.cat([ref[level], warped, upsampled_flow], 1)) + upsampled_flow
        return flow

    def forward(self, ref, supp):
        h, w = ref.size(2), ref.size(3)
        w_floor = math.floor(math.ceil(w / 32.0) * 32.0)
        h_floor = math.floor(math.ceil(h / 32.0) * 32.0)
        ref = F.interpolate(input=ref, size=(h_floor, w_floor), mode='bilinear', align_corners=False)
        supp = F.interpolate(input=supp, size=(h_floor, w_floor), mode='bilinear', align_corners=False)
        flow = F.interpolate(input=self.process(ref, supp), size=(h, w), mode='bilinear', align_corners=False)
        flow[:, 0, :, :] *= float(w) / float(w_floor)
        flow[:, 1, :, :] *= float(h) / float(h_floor)
        return flow


class Mlp(nn.Module):
    """Linear(C, hidden) - exact GELU - Linear(hidden, C)."""

    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def window_partition(x, window_size):
    """(b, t, h, w, c) -> (b * nW, wt*wh*ww, c), windows in (t, h, w) row-major order."""
    b, t, h, w, c = x.shape
    x = x.view(b, t // window_size[0], window_size[0], h // window_size[1], window_size[1], w // window_size[2],
               window_size[2], c)
    return x.permute(0, 1, 3, 5, 2, 4, 6, 7).contiguous().view(-1, window_size[0] * window_size[1] * window_size[2],
                                                                c)


def window_reverse(windows, window_size, b, t, h, w):
    """(b * nW, wt, wh, ww, c) -> (b, t, h, w, c)."""
    x = windows.view(b, t // window_size[0], h // window_size[1], w // window_size[2], window_size[0],
                     window_size[1], window_size[2], -1)
    return x.permute(0, 1, 4, 2, 5, 3, 6, 7).contiguous().view(b, t, h, w, -1)


@functools.lru_cache()
def compute_mask(t, h, w, window_size, shift_size, device):
    """The release's shifted-window mask (nW, N, N): -100 between different regions, else 0 (cached)."""
    img_mask = torch.zeros((1, t, h, w, 1), device=device)
    cnt = 0
    for d in slice(-window_size[0]), slice(-window_size[0], -shift_size[0]), slice(-shift_size[0], None):
        for hh in slice(-window_size[1]), slice(-window_size[1], -shift_size[1]), slice(-shift_size[1], None):
            for ww in slice(-window_size[2]), slice(-window_size[2], -shift_size[2]), slice(-shift_size[2], None):
                img_mask[:, d, hh, ww, :] = cnt
                cnt += 1
    mask_windows = window_partition(img_mask, window_size).squeeze(-1)
    attn_mask = mask_windows.unsqueeze(1) - mask_windows.unsqueeze(2)
    return attn_mask.masked_fill(attn_mask != 0, float(-100.0)).masked_fill(attn_mask == 0, float(0.0))


class ReleaseWindowAttention(nn.Module):
    """Unfused window attention: logits, + table[index] (gathered per call), + mask, softmax, @ v, proj."""

    def __init__(self, dim, window_size, num_heads, qkv_bias=True):
        super().__init__()
        self.dim = dim
        self.window_size = tuple(window_size)
        self.num_heads = num_heads
        self.scale = (dim // num_heads)**-0.5
        wt, wh, ww = window_size
        self.relative_position_bias_table = nn.Parameter(
            torch.zeros((2 * wt - 1) * (2 * wh - 1) * (2 * ww - 1), num_heads))
        coords = torch.stack(torch.meshgrid(torch.arange(wt), torch.arange(wh), torch.arange(ww), indexing='ij'))
        coords = torch.flatten(coords, 1)
        rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0).contiguous()
        rel[:, :, 0] += wt - 1
        rel[:, :, 1] += wh - 1
        rel[:, :, 2] += ww - 1
        rel[:, :, 0] *= (2 * wh - 1) * (2 * ww - 1)
        rel[:, :, 1] *= (2 * ww - 1)
        self.register_buffer('relative_position_index', rel.sum(-1))
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        self.softmax = nn.Softmax(dim=-1)

    def forward(self, x, mask=None):
        b_, n, c = x.shape
        qkv = self.qkv(x).reshape(b_, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4).contiguous()
        q, k, v = qkv[0], qkv[1], qkv[2]
        q = q * self.scale
        attn = q @ k.transpose(-2, -1)
        bias = self.relative_position_bias_table[self.relative_position_index[:n, :n].reshape(-1)].reshape(n, n, -1)
        attn = attn + bias.permute(2, 0, 1).contiguous().unsqueeze(0)
        if mask is not None:
            nw = mask.shape[0]
            attn = attn.view(b_ // nw, nw, self.num_heads, n, n) + mask.unsqueeze(1).unsqueeze(0)
            attn = attn.view(-1, self.num_heads, n, n)
        attn = self.softmax(attn)
        x = (attn @ v).transpose(1, 2).reshape(b_, n, c)
        return self.proj(x)


class ReleaseSwinBlock(nn.Module):
    """Pre-norm Swin block on (b, t, h, w, c), padding and rolling as the release (incl. the temporal roll)."""

    def __init__(self, dim, num_heads, window_size, shift_size, mlp_ratio=2.):
        super().__init__()
        self.window_size = list(window_size)
        self.shift_size = tuple(shift_size)
        self.norm1 = nn.LayerNorm(dim)
        self.attn = ReleaseWindowAttention(dim, window_size, num_heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def attention(self, x, attn_mask):
        """norm1 output (b, t, h, w, c) -> attention branch (b, t, h, w, c), before the residual add."""
        b, t, h, w, c = x.shape
        ws = self.window_size
        pad_d1 = (ws[0] - t % ws[0]) % ws[0]
        pad_b = (ws[1] - h % ws[1]) % ws[1]
        pad_r = (ws[2] - w % ws[2]) % ws[2]
        x = F.pad(x, (0, 0, 0, pad_r, 0, pad_b, 0, pad_d1))
        _, tp, hp, wp, _ = x.shape
        shifted = any(i > 0 for i in self.shift_size)
        if shifted:
            x = torch.roll(x, shifts=tuple(-s for s in self.shift_size), dims=(1, 2, 3))
        windows = self.attn(window_partition(x, ws), mask=attn_mask if shifted else None)
        x = window_reverse(windows.view(-1, *(ws + [c])), ws, b, tp, hp, wp)
        if shifted:
            x = torch.roll(x, shifts=self.shift_size, dims=(1, 2, 3))
        if pad_d1 > 0 or pad_r > 0 or pad_b > 0:
            x = x[:, :t, :h, :w, :].contiguous()
        return x

    def forward(self, x, attn_mask):
        x = x + self.attention(self.norm1(x), attn_mask)
        return x + self.mlp(self.norm2(x))


class ReleaseRSTB(nn.Module):
    """BasicLayer (checkpointed blocks) on (n, c, t, h, w), per-frame conv, + input."""

    def __init__(self, dim, depth, num_heads, window_size, mlp_ratio, use_checkpoint):
        super().__init__()
        shift = (window_size[0], window_size[1] // 2, window_size[2] // 2)
        self.residual_group = nn.Module()
        self.residual_group.blocks = nn.ModuleList([
            ReleaseSwinBlock(dim, num_heads, window_size, (0, 0, 0) if i % 2 == 0 else shift, mlp_ratio)
            for i in range(depth)
        ])
        self.conv = nn.Conv2d(dim, dim, 3, 1, 1)
        self.use_checkpoint = use_checkpoint

    def forward(self, x, attn_mask):
        n, c, t, h, w = x.shape
        x_ori = x
        x = x.permute(0, 2, 3, 4, 1).contiguous()
        for blk in self.residual_group.blocks:
            if self.use_checkpoint:
                x = checkpoint.checkpoint(blk, x, attn_mask, use_reentrant=True)
            else:
                x = blk(x, attn_mask)
        x = x.permute(0, 4, 1, 2, 3).contiguous()
        x = self.conv(x.permute(0, 2, 1, 3, 4).contiguous().view(-1, c, h, w)).view(n, t, -1, h, w)
        return x.permute(0, 2, 1, 3, 4).contiguous() + x_ori


class ReleaseSwinIRFM(nn.Module):
    """The per-branch backbone: (n, 3, C, h, w) -> refined centre frame (n, C, h, w)."""

    def __init__(self, embed_dim, depths, num_heads, window_size, mlp_ratio=2., use_checkpoint=True):
        super().__init__()
        self.window_size = list(window_size)
        self.conv_first = nn.Conv2d(3, embed_dim, 3, 1, 1)  # never used in forward
        self.conv_first_feat = nn.Conv2d(64, embed_dim, 3, 1, 1)  # never used
        self.patch_embed = nn.Module()
        self.patch_embed.norm = nn.LayerNorm(embed_dim)
        self.layers = nn.ModuleList([
            ReleaseRSTB(embed_dim, d, h, window_size, mlp_ratio, use_checkpoint) for d, h in zip(depths, num_heads)
        ])
        self.norm = nn.LayerNorm(embed_dim)
        self.conv_after_body = nn.Conv2d(embed_dim, embed_dim, 3, 1, 1)
        self.conv_before_upsample = nn.Conv2d(embed_dim, 64, 3, 1, 1)  # never used

    def forward(self, x):
        n, t, c, h, w = x.shape
        x_center = x[:, t // 2].contiguous()
        ws = self.window_size
        tp, hp, wp = (int(-(-s // k) * k) for s, k in zip((t, h, w), ws))
        attn_mask = compute_mask(tp, hp, wp, tuple(ws), (ws[0], ws[1] // 2, ws[2] // 2), x.device)
        x = x.permute(0, 2, 1, 3, 4).contiguous()  # n, c, t, h, w
        x = self.patch_embed.norm(x.flatten(2).transpose(1, 2)).transpose(1, 2).view(n, c, t, h, w)
        for layer in self.layers:
            x = layer(x, attn_mask)
        x = self.norm(x.flatten(2).transpose(1, 2)).transpose(1, 2).view(n, c, t, h, w)
        return self.conv_after_body(x[:, :, t // 2].contiguous()) + x_center


class ReleaseIART(nn.Module):
    """The released IART forward: (n, t, 3, h, w) -> (n, t, 3, 4h, 4w). Official key names."""

    def __init__(self,
                 in_channels=3,
                 mid_channels=64,
                 embed_dim=120,
                 depths=(6, 6, 6),
                 num_heads=(6, 6, 6),
                 window_size=(3, 8, 8),
                 num_frames=3,
                 use_checkpoint=True,
                 **unused):
        super().__init__()
        self.conv_before_upsample = nn.Conv2d(embed_dim, mid_channels, 3, 1, 1)
        self.spynet = SpyNet()
        self.conv_first = nn.Conv2d(in_channels, embed_dim, 3, 1, 1)
        self.swin_backbone = nn.ModuleDict({
            b: ReleaseSwinIRFM(embed_dim, depths, num_heads, window_size, 2., use_checkpoint)
            for b in BRANCHES
        })
        self.upconv1 = nn.Conv2d(mid_channels, mid_channels * 4, 3, 1, 1)
        self.upconv2 = nn.Conv2d(mid_channels, 64 * 4, 3, 1, 1)
        self.pixel_shuffle = nn.PixelShuffle(2)
        self.conv_hr = nn.Conv2d(64, 64, 3, 1, 1)
        self.conv_last = nn.Conv2d(64, 3, 3, 1, 1)
        self.img_upsample = nn.Upsample(scale_factor=4, mode='bilinear', align_corners=False)
        self.lrelu = nn.LeakyReLU(negative_slope=0.1, inplace=True)
        self.implicit_warp = ReferenceImplicitWarp(
            embed_dim, pe_dim=embed_dim, pe_temp=0.01, num_heads=num_heads[0], window_size=2)

    def compute_flow(self, lqs):
        n, t, c, h, w = lqs.size()
        lqs_1 = lqs[:, :-1, :, :, :].reshape(-1, c, h, w)
        lqs_2 = lqs[:, 1:, :, :, :].reshape(-1, c, h, w)
        flows_backward = self.spynet(lqs_1, lqs_2).view(n, t - 1, 2, h, w)
        flows_forward = self.spynet(lqs_2, lqs_1).view(n, t - 1, 2, h, w)
        return flows_forward, flows_backward

    def propagate(self, feats, flows, module_name):
        t = flows.size(1) + 1
        frame_idx = list(range(t))
        flow_idx = list(range(-1, t - 1))
        prev = 'spatial' if module_name == 'backward_1' else BRANCHES[BRANCHES.index(module_name) - 1]
        if 'backward' in module_name:
            frame_idx = frame_idx[::-1]
            flow_idx = frame_idx
        for i, idx in enumerate(frame_idx):
            feat_current = feats[prev][idx]
            if i == 0:
                cond = torch.stack([feat_current, feat_current, feat_current], dim=1)
            else:
                flow_n1 = flows[:, flow_idx[i]]
                cond_n1 = self.implicit_warp(feats[module_name][-1], feat_current, flow_n1.permute(0, 2, 3, 1))
                cond_n2 = torch.zeros_like(cond_n1)
                if i > 1:
                    flow_n2 = flows[:, flow_idx[i - 1]]
                    flow_n2 = flow_n1 + flow_warp(flow_n2, flow_n1.permute(0, 2, 3, 1))
                    cond_n2 = self.implicit_warp(feats[module_name][-2], feat_current, flow_n2.permute(0, 2, 3, 1))
                cond = torch.stack([cond_n1, feat_current, cond_n2], dim=1)
            feats[module_name].append(self.swin_backbone[module_name](cond))
        if 'backward' in module_name:
            feats[module_name] = feats[module_name][::-1]
        return feats

    def upsample(self, lqs, feats):
        outputs = []
        for i in range(lqs.size(1)):
            hr = self.conv_before_upsample(feats['forward_2'][i])
            hr = self.lrelu(self.pixel_shuffle(self.upconv1(hr)))
            hr = self.lrelu(self.pixel_shuffle(self.upconv2(hr)))
            hr = self.conv_last(self.lrelu(self.conv_hr(hr)))
            outputs.append(hr + self.img_upsample(lqs[:, i]))
        return torch.stack(outputs, dim=1)

    def forward(self, lqs):
        n, t, c, h, w = lqs.size()
        feats = {'spatial': []}
        feats_ = self.conv_first(lqs.view(-1, c, h, w)).view(n, t, -1, h, w)
        feats['spatial'] = [feats_[:, i] for i in range(t)]
        flows_forward, flows_backward = self.compute_flow(lqs)
        for name in BRANCHES:
            feats[name] = []
            flows = flows_backward if 'backward' in name else flows_forward
            feats = self.propagate(feats, flows, name)
        return self.upsample(lqs, feats)


def release_from_official(state, config=None):
    """Build ``ReleaseIART`` (eval) from an official state dict (``params`` of a checkpoint), strictly."""
    model = ReleaseIART(**(config or {}))
    model.load_state_dict(state, strict=True)
    return model.eval()
