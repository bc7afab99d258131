/**
 * Data-parallel training across processes and machines on PyTorch's c10d (Gloo, {@code TCPStore}, the
 * {@code Reducer} of {@code DistributedDataParallel}), started like torchrun: {@link
 * io.resnet4j.distributed.DistributedTrainer} runs a {@link io.resnet4j.train.Trainer} as one rank of a run
 * described by a {@link io.resnet4j.distributed.DistributedConfig} (torchrun's environment variables), and {@link
 * io.resnet4j.distributed.LocalLauncher} starts N such processes on this machine ({@code train --nproc N}).
 */
package io.resnet4j.distributed;
