export { Kernels, loadKernels, type KernelInfo, type LoadOptions } from './kernels.js';
export { KernelRangeError, KernelTypeError, OutOfMemoryError, KernelLoadError } from './errors.js';
export { KernelAbortError, compileKernels, type BuildName, type BuildChoice, type CompiledKernels, type CompileOptions } from './load.js';
export type { KernelExports } from './exports.js';
