#include "app/cli/command.h"
#include "engine/core/build_info.h"

#include <cstdio>

namespace m1::cli {

int run_version(const std::vector<std::string>& args) {
    arg_parser p("version", "", "Prints the version, the build type, whether the CUDA backend was built in, and the "
                                "GPUs the CUDA runtime sees (or \"no GPU\" with the reason).");
    if (int rc = parse_or_exit(p, args); rc >= 0) return rc;
    std::printf("M1 Studio %s\n", version_string());
    std::printf("build type: %s\n", build_type());
    std::printf("CUDA: %s\n", cuda_built_in() ? "built in" : "not built in");
    std::printf("%s\n", describe_gpus(query_gpus()).c_str());
    return 0;
}

}  // namespace m1::cli
