// Package torchbin reads PyTorch state dicts saved with torch.save (pytorch_model.bin) without running any of
// the Python code a pickle can name.
//
// A .bin file is a Python pickle. A general unpickler imports and calls whatever functions the file names, so
// loading an untrusted .bin with torch.load (or any general unpickler) runs arbitrary code. This package
// interprets the pickle opcodes itself and knows only the handful of globals a state dict needs
// (collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter[_with_state]
// and the typed storage classes such as torch.FloatStorage); any other global is refused with a
// *ForbiddenGlobalError the moment the pickle names it. Nothing is ever imported, called or executed: the
// pickle can only build inert values (numbers, strings, tuples, lists, dicts, tensor descriptions).
//
// The upstream this package follows is torch/serialization.py (torch.save / torch.load): the zip format of
// torch >= 1.6 (_save / _load: <root>/data.pkl, <root>/data/<key>, <root>/byteorder, persistent ids
// ('storage', StorageType, key, location, numel)) and the legacy format of torch < 1.6 (_legacy_save /
// _legacy_load: magic number, protocol version and sys_info pickles, the state dict pickle with persistent ids
// ('storage', StorageType, root_key, location, numel, view_metadata), the sorted storage key list, then each
// storage as an int64 element count followed by its raw bytes). TorchScript archives (torch.jit.save), the
// pre-0.4 tar format and big-endian files are refused with a clear error.
//
// Open parses and validates everything up front (every tensor's extent lies inside its storage, every storage
// record exists and is long enough) and keeps the file open; tensor bytes are read lazily, with ReadAt straight
// into the caller's buffer when possible, so loading needs one copy of the weights in memory, not two.
package torchbin
