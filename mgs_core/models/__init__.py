"""Networks and checkpoints: the U-Net segmenter, the paper's Table 1 regressor, the eye check, self-rebuilding checkpoints."""
from mgs_core.models.checkpoint import default_check_path, default_weight_paths, load_checkpoint, save_checkpoint
from mgs_core.models.eyecheck import EyeCheckNet
from mgs_core.models.orbital import PATCH_SIZE, OrbitalNet
from mgs_core.models.unet import CLASSES, UNet

__all__ = ["UNet", "OrbitalNet", "CLASSES", "PATCH_SIZE", "load_checkpoint", "save_checkpoint", "default_weight_paths",
           "EyeCheckNet", "default_check_path"]
