export { Kernels, loadKernels, type KernelInfo, type LoadOptions, type ConvShape } from './kernels.js';
export { KernelThreadError } from './threads.js';
export { KernelRangeError, KernelTypeError, OutOfMemoryError, KernelLoadError } from './errors.js';
export { KernelAbortError, compileKernels, type BuildName, type BuildChoice, type CompiledKernels, type CompileOptions } from './load.js';
export type { KernelExports } from './exports.js';
