package org.genzoo.service.cli;

import picocli.CommandLine.Option;

/** --binding and --device, shared by every command that opens a device. */
public final class DeviceOptions {
    @Option(names = "--binding", description = "OpenCL binding: jocl (default) or lwjgl; else GENZOO_BINDING.")
    public String binding;

    @Option(names = {"-d", "--device"}, description = "auto, gpu, cpu, accelerator, P:D or part of a device name; else GENZOO_DEVICE, else auto.")
    public String device;
}
