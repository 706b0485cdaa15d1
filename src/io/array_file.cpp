#include "io/array_file.h"

#include <filesystem>

#include "core/error.h"
#include "io/hdf5_toolkit.h"

namespace clipscale::io {

struct ArrayFileWriter::Impl {
  explicit Impl(const std::string& file_path) : site("", file_path, hdf5::Site::Mode::kWrite) {}

  void write(const std::string& name, const std::vector<int64_t>& shape, hid_t type, const void* data) const {
    const std::vector<hsize_t> dims(shape.begin(), shape.end());
    hdf5::write_dataset(file.get(), "/", name, type, type, dims, data, site);
  }

  hdf5::Site site;
  hdf5::Handle file;
};

ArrayFileWriter::ArrayFileWriter(const std::string& path) : impl_(std::make_unique<Impl>(path)) {
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  const hdf5::QuietErrors quiet;
  impl_->file = hdf5::create_file(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (!impl_->file.valid())
    throw core::UserError(path + ": cannot create the HDF5 file. HINT: check the folder is writable and no other " +
                          "process holds the file open.");
}

ArrayFileWriter::~ArrayFileWriter() {
  if (impl_ && impl_->file.valid()) {
    const hdf5::QuietErrors quiet;
    impl_->file.close();
  }
}

void ArrayFileWriter::write_f32(const std::string& name, const std::vector<int64_t>& shape, const float* data) {
  const hdf5::QuietErrors quiet;
  impl_->write(name, shape, H5T_NATIVE_FLOAT, data);
}

void ArrayFileWriter::write_i64(const std::string& name, const std::vector<int64_t>& shape, const int64_t* data) {
  const hdf5::QuietErrors quiet;
  impl_->write(name, shape, H5T_NATIVE_INT64, data);
}

void ArrayFileWriter::write_strings(const std::string& name, const std::vector<std::string>& values) {
  const hdf5::QuietErrors quiet;
  hdf5::write_string_dataset(impl_->file.get(), "/", name, values, impl_->site);
}

void ArrayFileWriter::set_attribute(const std::string& name, const std::string& value) {
  const hdf5::QuietErrors quiet;
  hdf5::write_attr(impl_->file.get(), "/", name, value, impl_->site);
}

void ArrayFileWriter::set_attribute(const std::string& name, double value) {
  const hdf5::QuietErrors quiet;
  hdf5::write_attr(impl_->file.get(), "/", name, value, impl_->site);
}

void ArrayFileWriter::set_attribute(const std::string& name, int64_t value) {
  const hdf5::QuietErrors quiet;
  hdf5::write_attr(impl_->file.get(), "/", name, value, impl_->site);
}

}  // namespace clipscale::io
