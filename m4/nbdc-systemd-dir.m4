dnl NBDC_SYSTEMD_DIR(VARIABLE, WHAT, CONDITIONAL)
dnl
dnl --with-VARIABLE=DIR: where to install WHAT.  The default comes
dnl from systemd.pc's VARIABLE; "no" (or no systemd.pc, unless "yes"
dnl was asked for) means not installing it.  AC_SUBSTs VARIABLE and
dnl sets the automake CONDITIONAL when it is installed.
AC_DEFUN([NBDC_SYSTEMD_DIR], [
AC_ARG_WITH([$1],
  [AS_HELP_STRING([--with-$1=DIR],
    [install $2 in DIR (default: from systemd.pc), or "no" not to install it])],
  [], [with_$1=auto])
AS_CASE([$with_$1],
  [auto|yes], [PKG_CHECK_VAR([$1], [systemd], [$1])
               AS_IF([test "x$$1" = "x"],
                 [AS_IF([test "x$with_$1" = "xyes"],
                    [AC_MSG_ERROR([systemd.pc not found: pass --with-$1=DIR])])
                  $1=no])],
  [$1=$with_$1])
AC_MSG_CHECKING([where to install $2])
AC_MSG_RESULT([$$1])
AC_SUBST([$1])
AM_CONDITIONAL([$3], [test "x$$1" != "xno"])
])
