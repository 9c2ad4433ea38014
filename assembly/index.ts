// The kernel module: pure functions over pointers and sizes into imported memory.
// Each concept lives in its own file and is re-exported here.
export { heap_base, relaxed_build } from './info';
import './abort';
export * from './gemm';
export * from './landscape_vec';
export * from './lbfgsb';
export * from './randproj';
export * from './reduce';
export * from './activation';
export * from './bias';
export * from './softmax_xent';
export * from './dropout';
export * from './batchnorm';
export * from './pool';
export * from './im2col';
export * from './conv2d';
export * from './optim';
export * from './batchnorm_rop';
export * from './softmax_xent_rop';
export * from './pool_rop';
export * from './conv2d_acc';
export * from './winograd';
export * from './ceiling';
