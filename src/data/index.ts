// The data layer's public API: readers (IDX/MNIST, CIFAR, NPY), synthetic sets, transforms
// and the seeded batcher. Buffer parsers work in browsers; *File / load* functions need Node.

export { type Dataset, sampleSize } from './dataset.js';
export { DataFormatError, DataFileError, DataArgumentError, DataTypeError } from './errors.js';
export { checkDataset } from './validate.js';
export { readDataFile, findDataFile } from './file.js';
export { parseIdx, readIdxFile, encodeIdx, type IdxArray, type IdxDtype, type IdxData, type IdxExpect } from './idx.js';
export {
  loadMnist, loadFashionMnist, mnistFromBuffers, loadMnistFormatDir, mnistDataDir, FASHION_MNIST_DEBIAN_DIR,
  type MnistSplit, type MnistOptions, type MnistBufferOptions,
} from './mnist.js';
export {
  cifarFromBuffers, loadCifarFiles, loadCifar10, loadCifar100, cifarRecordBytes,
  type CifarVariant, type CifarLabels, type CifarOptions, type CifarBuffer, type CifarSplit,
} from './cifar.js';
export {
  parseNpy, encodeNpy, readNpyFile, writeNpyFile, npyDatasetFromArrays, loadNpyDataset,
  type NpyArray, type NpyDtype, type NpyData, type NpyDatasetOptions,
} from './npy.js';
export { syntheticClassification, type SyntheticOptions, type SyntheticKind } from './synthetic.js';
export { channelStats, applyNormalization, normalize, subset, split, type ChannelStats } from './transform.js';
export { Batcher, type BatcherOptions } from './batcher.js';
