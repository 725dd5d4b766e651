// Raw Unicode tables behind nfc.cpp, generated into nfc_tables.cpp by gen_nfc_tables.py (see there for the layout).
#pragma once

#include <cstddef>
#include <cstdint>

namespace m1::nfc_data {

extern const uint32_t k_ccc_ranges[];  // (first, last, ccc) triples
extern const size_t k_ccc_ranges_size;
extern const uint32_t k_decompositions[];  // (cp, first, second) triples
extern const size_t k_decompositions_size;
extern const uint32_t k_composition_exclusions[];
extern const size_t k_composition_exclusions_size;

}  // namespace m1::nfc_data
