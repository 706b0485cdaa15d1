#include "io/array_file.h"

#include <hdf5.h>

#include <filesystem>

#include "core/error.h"

namespace clipscale::io {
namespace {

/// Closes an HDF5 handle with the right function at scope exit.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

}  // namespace

struct ArrayFileWriter::Impl {
  std::string path;
  hid_t file = -1;

  void check(herr_t status, const std::string& what) const {
    CLIPSCALE_CHECK(status >= 0) << path << ": HDF5 failed to " << what;
  }
  void check_id(hid_t id, const std::string& what) const {
    CLIPSCALE_CHECK(id >= 0) << path << ": HDF5 failed to " << what;
  }

  void write(const std::string& name, const std::vector<int64_t>& shape, hid_t type, const void* data) {
    std::vector<hsize_t> dims(shape.begin(), shape.end());
    Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
    check_id(space.get(), "create the dataspace of " + name);
    Handle set(H5Dcreate2(file, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
    check_id(set.get(), "create dataset " + name);
    check(H5Dwrite(set.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "write dataset " + name);
  }

  void attribute(const std::string& name, hid_t type, const void* data) {
    Handle space(H5Screate(H5S_SCALAR), H5Sclose);
    Handle attr(H5Acreate2(file, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    check_id(attr.get(), "create attribute " + name);
    check(H5Awrite(attr.get(), type, data), "write attribute " + name);
  }
};

ArrayFileWriter::ArrayFileWriter(const std::string& path) : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  impl_->file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (impl_->file < 0)
    throw core::UserError(path + ": cannot create the HDF5 file. HINT: check the folder is writable and no other " +
                          "process holds the file open.");
}

ArrayFileWriter::~ArrayFileWriter() {
  if (impl_ && impl_->file >= 0) H5Fclose(impl_->file);
}

void ArrayFileWriter::write_f32(const std::string& name, const std::vector<int64_t>& shape, const float* data) {
  impl_->write(name, shape, H5T_NATIVE_FLOAT, data);
}

void ArrayFileWriter::write_i64(const std::string& name, const std::vector<int64_t>& shape, const int64_t* data) {
  impl_->write(name, shape, H5T_NATIVE_INT64, data);
}

void ArrayFileWriter::write_strings(const std::string& name, const std::vector<std::string>& values) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  impl_->check(H5Tset_size(type.get(), H5T_VARIABLE), "make a string type");
  impl_->check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "make a UTF-8 string type");
  std::vector<const char*> pointers;
  for (const auto& v : values) pointers.push_back(v.c_str());
  impl_->write(name, {static_cast<int64_t>(values.size())}, type.get(), pointers.data());
}

void ArrayFileWriter::set_attribute(const std::string& name, const std::string& value) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  impl_->check(H5Tset_size(type.get(), H5T_VARIABLE), "make a string type");
  impl_->check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "make a UTF-8 string type");
  const char* pointer = value.c_str();
  impl_->attribute(name, type.get(), &pointer);
}

void ArrayFileWriter::set_attribute(const std::string& name, double value) {
  impl_->attribute(name, H5T_NATIVE_DOUBLE, &value);
}

void ArrayFileWriter::set_attribute(const std::string& name, int64_t value) {
  impl_->attribute(name, H5T_NATIVE_INT64, &value);
}

}  // namespace clipscale::io
