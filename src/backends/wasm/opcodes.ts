// Job and operation codes shared by the TypeScript glue and the AssemblyScript kernels (this file is
// compiled by both, so it holds only integer constants).

// Jobs the thread pool dispatches: run(job, params, tid, nthreads).
export const JOB_MATMUL = 1;
export const JOB_CONV = 2;
export const JOB_CONV_BACKWARD_DATA = 3;
export const JOB_CONV_BACKWARD_FILTER = 4;
export const JOB_UNARY = 5;
export const JOB_BINARY = 6;
export const JOB_WHERE = 7;
export const JOB_COPY = 8;
export const JOB_REDUCE = 9;
export const JOB_SOFTMAX = 10;
export const JOB_ARG = 11;
export const JOB_MAXPOOL = 12;
export const JOB_AVGPOOL = 13;
export const JOB_AVGPOOL_BACKWARD = 14;
export const JOB_UNPOOL = 15;
export const JOB_POOL_GATHER = 16;
export const JOB_GATHER_MAPPED = 17;
export const JOB_SCATTER_MAPPED = 18;
export const JOB_FILL = 19;
export const JOB_CAST = 20;
export const JOB_RESIZE = 21;
export const JOB_RESIZE_BACKWARD = 22;
export const JOB_GEMM_PACK_B = 23;
export const JOB_GEMM_PACKED = 24;
export const JOB_BIAS_ACT = 25;
export const JOB_BATCHNORM_TRAIN = 26;
export const JOB_BATCHNORM_BACKWARD = 27;
export const JOB_TEST_TRAP = 99;

// Element-wise ops of one input.
export const U_NEG = 0;
export const U_EXP = 1;
export const U_LOG = 2;
export const U_SQRT = 3;
export const U_ABS = 4;
export const U_SIGN = 5;
export const U_RELU = 6;
export const U_SIGMOID = 7;
export const U_TANH = 8;
export const U_ERF = 9;
export const U_LEAKY_RELU = 10;
export const U_ELU = 11;
export const U_CLAMP = 12;
export const U_COPY = 13;
export const U_SOFTPLUS = 14;

// Element-wise ops of two inputs.
export const B_ADD = 0;
export const B_SUB = 1;
export const B_MUL = 2;
export const B_DIV = 3;
export const B_POW = 4;
export const B_MAXIMUM = 5;
export const B_MINIMUM = 6;
export const B_EQUAL = 7;
export const B_NOT_EQUAL = 8;
export const B_LESS = 9;
export const B_LESS_EQUAL = 10;
export const B_GREATER = 11;
export const B_GREATER_EQUAL = 12;
export const B_RELU_BACKWARD = 13;
export const B_ADD_SCALED = 14;

// Reductions.
export const R_SUM = 0;
export const R_MAX = 1;
export const R_MIN = 2;

// Activations of the fused bias + activation epilogue (JOB_BIAS_ACT).
export const ACT_NONE = 0;
export const ACT_RELU = 1;

// Casts.
export const CAST_F2I = 0;
export const CAST_I2F = 1;
