"""Training: cached inputs, augmentation, the inverse-frequency sampler, ``train_seg``, ``train_score`` (the paper's
recipe by default) and CIFAR-10 pretraining. Import the submodules directly (``mgs_core.train.seg`` etc.); this
package module stays import-light so ``mgs --help`` does not load torch.
"""
