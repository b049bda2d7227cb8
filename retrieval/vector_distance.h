// Fast inner-product storage for ragd's Faiss indexes.
//
// Why: Debian's libfaiss 1.7.3 is built for baseline x86-64, so faiss::fvec_inner_product is the
// scalar reference loop (one dependent addss per dimension: ~400 ns for 512 floats). Every HNSW
// build step and every single-query flat search goes through it. FastFlatIP is a drop-in
// faiss::IndexFlatIP whose distance computer and single-query scan use a multi-accumulator dot
// product compiled for AVX-512 / AVX2 / baseline and picked at load time (~10x faster at 512-d).
// Files are unchanged: Faiss serialises FastFlatIP as a plain IndexFlatIP ("IxFI"), and
// UseFastFlatStorage converts an index read back from disk.
//
// Thread safety: as faiss::IndexFlatIP (concurrent const searches are safe).
#pragma once

#include <faiss/IndexFlat.h>

#include <cstddef>
#include <memory>

namespace ragd {

// Sum of a[i] * b[i] over `dim` floats.
float DotProduct(const float* a, const float* b, size_t dim);

struct FastFlatIP : faiss::IndexFlatIP {
  explicit FastFlatIP(idx_t dim) : faiss::IndexFlatIP(dim) {}
  faiss::FlatCodesDistanceComputer* get_FlatCodesDistanceComputer() const override;
  // Each query is scanned with DotProduct on the calling thread (ragd searches one query per
  // call); same results as IndexFlatIP::search (ties: lower position first). `params` must be null.
  void search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
              const faiss::SearchParameters* params = nullptr) const override;
};

// A new IndexHNSWFlat (inner product, `m` links) whose storage is a FastFlatIP.
std::unique_ptr<faiss::Index> NewFastHnswIP(int dim, int m);

// Replaces the IndexFlatIP storage of an index read by faiss::read_index (an IndexFlatIP, or an
// IndexHNSWFlat's storage) with a FastFlatIP holding the same rows; returns the index to use.
// Rows are moved, not copied. Other index types are returned unchanged.
std::unique_ptr<faiss::Index> UseFastFlatStorage(std::unique_ptr<faiss::Index> index);

}  // namespace ragd
