# CUDA detection and setup for the engine's CUDA backend.
# nvcc is looked for on PATH, then in /usr/local/cuda/bin (where Debian-style installs of the toolkit live).
include(CheckLanguage)

if(NOT CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX} AND EXISTS "/usr/local/cuda/bin/nvcc")
  find_program(_m1_nvcc nvcc)
  if(NOT _m1_nvcc)
    set(CMAKE_CUDA_COMPILER "/usr/local/cuda/bin/nvcc" CACHE FILEPATH "CUDA compiler")
  endif()
endif()
check_language(CUDA)
if(CMAKE_CUDA_COMPILER)
  set(M1_CUDA_FOUND_DEFAULT ON)
else()
  set(M1_CUDA_FOUND_DEFAULT OFF)
endif()

macro(m1_setup_cuda)
  if(M1_ENABLE_CUDA)
    if(NOT CMAKE_CUDA_COMPILER)
      message(FATAL_ERROR "M1_ENABLE_CUDA=ON but no nvcc was found: put nvcc on PATH, set CUDACXX, or configure with -DM1_ENABLE_CUDA=OFF.")
    endif()
    # Never leave the architecture unset (CMake would pick sm_75) and never 'native' (fails without a GPU).
    if(NOT CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES 90 CACHE STRING "CUDA architectures to build for (Hopper: 90 or 90a)." FORCE)
    endif()
    set(CMAKE_CUDA_RUNTIME_LIBRARY Shared)
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    # CMake 3.25 rejects CUDA_STANDARD 20: pass the flag to nvcc directly.
    add_compile_options($<$<COMPILE_LANGUAGE:CUDA>:-std=c++20>)
  endif()
endmacro()
