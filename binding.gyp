{
  "targets": [
    {
      "target_name": "astarpo",
      "sources": ["<!@(node -p \"require('fs').readdirSync('native').filter(f => f.endsWith('.cc')).sort().map(f => 'native/' + f).join(' ')\")"],
      "cflags_cc!": ["-fno-exceptions", "-O2", "-O0"],
      "cflags!": ["-O2", "-O0"],
      "cflags_cc": ["-std=c++17", "-O3", "-fno-math-errno", "-fno-trapping-math", "-Wall", "-Wno-unused-function"],
      "ldflags": ["-pthread"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
